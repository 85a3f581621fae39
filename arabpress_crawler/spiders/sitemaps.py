"""Sitemap helpers of the ``articles`` spider: post sitemap names and numbers, gzipped sitemap bodies."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from scrapy.utils.gz import gunzip, gzip_magic_number

from arabpress_crawler import site

if TYPE_CHECKING:
    from scrapy.http import Response

logger = logging.getLogger(__name__)

#: The site's numbered post sitemaps (``post-sitemap.xml``, ``post-sitemap2.xml``…), from the site module.
POST_SITEMAP = site.POST_SITEMAP


def post_sitemap_number(url: str) -> int:
    match = POST_SITEMAP.search(url)
    return int(match["number"] or 1) if match else 0


def sitemap_body(response: Response, max_size: int) -> bytes | None:
    """The XML of a sitemap response: gunzipped when the body is gzip (a ``.xml.gz`` file, or a gzip body
    served without ``Content-Encoding``), as Scrapy's ``SitemapSpider`` does, with the download size cap
    (``download_maxsize`` meta, else ``DOWNLOAD_MAXSIZE``) applied to the decompressed size; ``None`` when it
    cannot be read (logged with the URL)."""
    if not gzip_magic_number(response):
        return response.body
    limit = response.meta.get("download_maxsize", max_size)
    try:
        return gunzip(response.body, max_size=limit)
    except ValueError:  # Scrapy's "decompressed size over max_size"
        logger.warning("gzipped sitemap larger than %d bytes once decompressed, ignored: %s", limit, response.url)
    except (OSError, EOFError) as error:  # damaged or truncated gzip
        logger.warning("gzipped sitemap cannot be decompressed, ignored: %s (%r)", response.url, error)
    return None
