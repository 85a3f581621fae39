"""Request fingerprints keyed on the project's canonical URL for article requests (``REQUEST_FINGERPRINTER_CLASS``).

Scrapy fingerprints the link as requested (w3lib's canonical form: query sorted, fragment dropped), so two
links to one article — with ``utm_`` parameters or without, ``http`` or ``https`` — have two fingerprints.
Within a run the spider remembers the canonical URLs it asked for, but that memory is not in the job directory
(``JOBDIR``, :mod:`arabpress_crawler.jobdir`): a resumed job fetched an article a second time when the stopped
one had asked for it under another link. Here an article request (one the spider made with a
``canonical_url`` in its meta) is fingerprinted by :func:`arabpress_crawler.urls.canonicalize_url` of its URL,
the key the store and the distributed frontier (:mod:`arabpress_crawler.distributed.dupefilter`) use; every
other request keeps Scrapy's fingerprint. A redirected request keeps Scrapy's too: the target of a redirect
has, more often than not, the canonical URL of the link it came from, and must not be taken for it.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

from scrapy.utils.request import RequestFingerprinter

from arabpress_crawler.urls import canonicalize_url

if TYPE_CHECKING:
    from scrapy import Request

#: ``request.meta`` key the spider puts on every article request (its canonical URL).
CANONICAL_META = "canonical_url"


def canonical_key(request: Request) -> str | None:
    """The canonical URL an article request is known by; ``None`` for any other request."""
    if request.method != "GET" or CANONICAL_META not in request.meta or "redirect_urls" in request.meta:
        return None
    return canonicalize_url(request.url)


class CanonicalRequestFingerprinter(RequestFingerprinter):
    """Scrapy's fingerprinter, with article requests keyed on their canonical URL (see the module docstring)."""

    def fingerprint(self, request: Request) -> bytes:
        key = canonical_key(request)
        if key is None:
            return super().fingerprint(request)
        return hashlib.sha1(f"article {key}".encode()).digest()
