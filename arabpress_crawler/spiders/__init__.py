"""Spiders: routing only; extraction lives in arabpress_crawler.pages."""

from __future__ import annotations

#: Prefix of the crawl stats the spider and the crawl command keep (``arabpress/skipped/known``…).
STAT_PREFIX = "arabpress"
#: Stats key prefix under which the spider records the ``<lastmod>`` of each sub-sitemap as its sitemap index
#: listed it (``arabpress/sitemap_lastmod/<sitemap URL>``); the run record saves them in ``sitemap_lastmods``.
SITEMAP_LASTMOD_STAT = f"{STAT_PREFIX}/sitemap_lastmod/"
#: The name of the main spider (``scrapy crawl articles``).
ARTICLES_SPIDER = "articles"
