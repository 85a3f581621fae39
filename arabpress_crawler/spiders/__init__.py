"""Spiders: routing only; extraction lives in arabpress_crawler.pages."""

from __future__ import annotations

#: Prefix of the crawl stats the spider and the crawl command keep (``arabpress/skipped/known``…).
STAT_PREFIX = "arabpress"
#: The name of the main spider (``scrapy crawl articles``).
ARTICLES_SPIDER = "articles"
