"""A dupefilter in Redis whose fingerprints are the project's canonical URLs, shared by a run's workers.

scrapy-redis's own filter hashes the raw request (method, w3lib-canonical URL, body), so two spellings of one
article (tracking parameters, ``/amp/``-less variants the project folds) were fetched twice. Here a GET's
fingerprint is :func:`arabpress_crawler.urls.canonicalize_url` of its URL, the key is the run's (it expires,
so the next run is incremental as a single-process run is), and closing one worker never clears it.
"""

from __future__ import annotations

import hashlib
import logging
from typing import TYPE_CHECKING, Any

from scrapy_redis.connection import get_redis_from_settings
from scrapy_redis.dupefilter import RFPDupeFilter

from arabpress_crawler.distributed.keys import RUN_TTL_SECONDS
from arabpress_crawler.distributed.settings import run_keys
from arabpress_crawler.urls import canonicalize_url

if TYPE_CHECKING:
    from scrapy import Request, Spider

logger = logging.getLogger(__name__)


def fingerprint(request: Request) -> str:
    """The canonical URL of a GET; method, canonical URL and a body digest otherwise."""
    url = canonicalize_url(request.url) or request.url
    if request.method == "GET":
        return url
    return f"{request.method} {url} {hashlib.sha1(request.body or b'').hexdigest()}"


class CanonicalDupeFilter(RFPDupeFilter):
    """scrapy-redis's filter with canonical-URL fingerprints and a run key that is never cleared by a worker."""

    @classmethod
    def from_spider(cls, spider: Spider) -> CanonicalDupeFilter:
        settings = spider.settings
        return cls(get_redis_from_settings(settings), key=run_keys(settings).seen, debug=settings.getbool("DUPEFILTER_DEBUG"))

    @classmethod
    def from_crawler(cls, crawler: Any) -> CanonicalDupeFilter:
        settings = crawler.settings
        return cls(get_redis_from_settings(settings), key=run_keys(settings).seen, debug=settings.getbool("DUPEFILTER_DEBUG"))

    def request_fingerprint(self, request: Request) -> str:
        return fingerprint(request)

    def request_seen(self, request: Request) -> bool:
        pipe = self.server.pipeline()
        pipe.sadd(self.key, self.request_fingerprint(request))
        pipe.expire(self.key, RUN_TTL_SECONDS)
        added, _ = pipe.execute()
        return added == 0

    def close(self, reason: str = "") -> None:
        """Nothing: the other workers of the run still use the set (the last worker deletes the run's keys)."""
