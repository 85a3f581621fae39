"""Validate pipeline: an article needs a real title and a body of real text; anything else is dropped.

Every drop raises :class:`scrapy.exceptions.DropItem` and is counted in the crawl stats under
``arabpress/dropped/<reason>`` (the store pipeline copies those counts into the run record):

* ``no_url``: no usable canonical URL;
* ``not_article``: a listing page (home, section, tag, author, pagination, feed, sitemap);
* ``no_title``: no title, or one without letters or that is only the site's furniture;
* ``no_body``: no body, or too short / not made of words to be an article.

A dropped page will never be an article: the pipeline sends a frontier drop for the link that was fetched
(:data:`~arabpress_crawler.frontier.FRONTIER_RECORDS`), so a related link to it leaves the frontier instead of
being asked for again by every run.
"""

from __future__ import annotations

import logging
import unicodedata
from collections import Counter
from typing import TYPE_CHECKING, Any

from scrapy.exceptions import DropItem

from arabpress_crawler.frontier import FRONTIER_RECORDS, FrontierDrop
from arabpress_crawler.items import ArticleItem, as_article
from arabpress_crawler.text import normalize_for_search, word_count
from arabpress_crawler.urls import canonicalize_url, is_listing_url

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.signalmanager import SignalManager
    from scrapy.statscollectors import StatsCollector

logger = logging.getLogger(__name__)

DROPPED_STATS_PREFIX = "arabpress/dropped/"
NO_URL = "no_url"
NOT_ARTICLE = "not_article"
NO_TITLE = "no_title"
NO_BODY = "no_body"
DROP_LOG_LEVEL = "INFO"
MIN_TITLE_LETTERS = 3
#: A news brief has a few sentences; fewer words than this is a stub, an error page or a teaser.
MIN_BODY_WORDS = 20
#: Share of a body's characters that must be letters (not digits, punctuation, symbols).
MIN_BODY_LETTER_SHARE = 0.5
#: The ASCII characters ``str.isalpha`` and ``str.isspace`` accept (the ASCII fast path of :func:`letter_counts`).
_ASCII_LETTERS = bytes(code for code in range(128) if chr(code).isalpha())
_ASCII_SPACES = bytes(code for code in range(128) if chr(code).isspace())
#: Titles that name the site or an error, never a story (compared in normalised form).
FURNITURE_TITLES = frozenset(
    {
        "arab press",
        "page not found",
        "nothing found",
        "not found",
        "404",
        "error",
        "home",
        "related articles",
        "الصفحة غير موجودة",
        "الرئيسية",
    }
)


def letters(text: str) -> int:
    """Number of letters (any script) in ``text``."""
    return sum(1 for char in text if char.isalpha())


def _is_visible(char: str) -> bool:
    """Neither whitespace nor a combining mark (such as tashkeel)."""
    return not char.isspace() and not unicodedata.category(char).startswith("M")


def _ascii_counts(text: str) -> tuple[int, int]:
    """``(letters, visible characters)`` of an ASCII ``text``, counted in C (no mark is ASCII)."""
    data = text.encode("ascii")
    return len(data) - len(data.translate(None, _ASCII_LETTERS)), len(data.translate(None, _ASCII_SPACES))


def letter_counts(text: str) -> tuple[int, int]:
    """``(letters, visible characters)`` of ``text``: each distinct character is classified once."""
    if text.isascii():
        return _ascii_counts(text)
    alpha = visible = 0
    for char, count in Counter(text).items():
        if _is_visible(char):
            visible += count
            alpha += count if char.isalpha() else 0
    return alpha, visible


def letter_share(text: str) -> float:
    """Share of letters among the visible characters of ``text`` (combining marks such as tashkeel not counted)."""
    alpha, visible = letter_counts(text)
    return alpha / visible if visible else 0.0


def drop_reason(item: ArticleItem) -> str | None:
    """Why ``item`` is not a storable article, or ``None`` when it is one."""
    if not item.url:
        return NO_URL
    if is_listing_url(item.url):
        return NOT_ARTICLE
    title = item.title or ""
    if letters(title) < MIN_TITLE_LETTERS or normalize_for_search(title) in FURNITURE_TITLES:
        return NO_TITLE
    body = item.body or ""
    words = item.word_count if item.word_count is not None else word_count(body)  # filled by the clean stage
    if words < MIN_BODY_WORDS or letter_share(body) < MIN_BODY_LETTER_SHARE:
        return NO_BODY
    if len(body) <= len(title) * 2 and normalize_for_search(body) == normalize_for_search(title):
        return NO_BODY
    return None


class ValidatePipeline:
    """Second pipeline: drops what is not a real article, with a counted reason."""

    def __init__(self, stats: StatsCollector | None = None, signals: SignalManager | None = None) -> None:
        self.stats = stats
        self.signals = signals
        self.dropped: Counter[str] = Counter()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ValidatePipeline:
        return cls(stats=crawler.stats, signals=crawler.signals)

    def process_item(self, item: Any) -> Any:
        article = as_article(item)  # any item type, through itemadapter
        if article is None:
            return item
        item = article
        reason = drop_reason(item)
        if reason is None:
            return item
        self.dropped[reason] += 1
        if self.stats is not None:
            self.stats.inc_value(f"{DROPPED_STATS_PREFIX}{reason}")
        self._drop_from_frontier(item, reason)
        raise DropItem(f"{reason}: {item.url or item.fetched_url}", log_level=DROP_LOG_LEVEL)

    def _drop_from_frontier(self, item: ArticleItem, reason: str) -> None:
        """The link that was fetched will never give an article: out of the frontier (not the page's declared
        canonical URL, which may name another page the frontier still has to visit)."""
        if self.signals is None or not item.fetched_url:
            return
        url = canonicalize_url(item.fetched_url)
        if url is not None:
            self.signals.send_catch_log(signal=FRONTIER_RECORDS, records=[FrontierDrop(url, reason)])
