"""The Scrapy side of the archive: a downloader middleware that archives, a spider middleware that points items
at what was archived.

Enabled in :mod:`arabpress_crawler.settings` (``DOWNLOADER_MIDDLEWARES`` at 595, ``SPIDER_MIDDLEWARES`` at 950),
so every way a crawl starts (``arabpress crawl``, ``scrapy crawl``, a Scrapyd job) archives the same way; see
:mod:`arabpress_crawler.archive` for what is captured and why at 595.

Who writes the records: when the writer process runs the store (``ARABPRESS_WRITER=process``, the default, and
distributed workers; :class:`~arabpress_crawler.writer.addon.WriterAddon` sets ``ARABPRESS_ARCHIVE_IN_WRITER``),
the middleware only takes a :class:`~arabpress_crawler.archive.handoff.Capture` of the response and hands it to
the writer's pipeline, and items carry a pending record until the writer has written theirs
(:mod:`arabpress_crawler.archive.handoff`). Otherwise (``inline``, a crawl with feed exports, a pipeline set
without the store) the middleware writes the records itself, in the crawler, as the response arrives.

Stats: ``arabpress/archive/records``, ``arabpress/archive/bytes`` (compressed, response records only),
``arabpress/archive/files``, ``arabpress/archive/recovered`` (files a killed crawl left open, closed at start),
``arabpress/archive/errors`` (records that could not be written; the crawl goes on and ``arabpress check``
reports the articles without a record). With the writer process they are counted there and reach the crawl's
stats with its acknowledgements.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scrapy import signals
from scrapy.exceptions import NotConfigured

from arabpress_crawler import __version__
from arabpress_crawler.archive import files, handoff
from arabpress_crawler.archive.writer import DEFAULT_MAX_BYTES, Exchange
from arabpress_crawler.extraction_version import extraction_version
from arabpress_crawler.items import ArchiveRecord, ArticleItem, PendingArchiveRecord
from arabpress_crawler.writer import ARCHIVE_IN_WRITER_SETTING

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.http import Request, Response
    from scrapy.settings import BaseSettings

logger = logging.getLogger(__name__)

ENABLED_SETTING = "ARABPRESS_ARCHIVE"
DIR_SETTING = "ARABPRESS_ARCHIVE_DIR"
PAGES_SETTING = "ARABPRESS_ARCHIVE_PAGES"
MAX_BYTES_SETTING = "ARABPRESS_ARCHIVE_MAX_BYTES"
ARTICLES_ONLY = "articles"
ALL_PAGES = "all"
PAGE_CHOICES = (ARTICLES_ONLY, ALL_PAGES)
#: The spider marks the requests of article pages with this ``Request.meta`` key (its ``ArticleLink``).
ARTICLE_META_KEY = "article_link"
#: Where this middleware leaves the record of a response, for :class:`ArchiveRecordMiddleware`.
RECORD_META_KEY = "arabpress_archive_record"


def archive_directory(settings: BaseSettings) -> tuple[Path, Path]:
    """``(archive directory, database directory)`` of a crawl's settings."""
    db = Path(settings.get("ARABPRESS_DB") or "data/arabpress.db")
    configured = settings.get(DIR_SETTING)
    return (Path(configured) if configured else files.default_directory(db)), db.parent


def exchange_of(request: Request, response: Response) -> Exchange:
    """The :class:`Exchange` of a response as it reached the middleware (see the module docstring)."""
    return handoff.exchange_from(handoff.capture_of(request, response))


class ArchiveMiddleware:
    """Downloader middleware: archives the wanted responses (articles only, unless configured otherwise), writing
    them itself or, when the writer process writes the archive, handing their captures to its pipeline."""

    def __init__(self, crawler: Crawler, config: handoff.ArchiveConfig, *, all_pages: bool) -> None:
        self.crawler = crawler
        self.config = config
        #: Writes the records when the crawler archives itself (no writer process to hand them to).
        self.stage = handoff.ArchiveStage(self._count)
        self.all_pages = all_pages
        self.opened = False
        #: The writer's pipeline (``hand(capture)``), when the writer process writes the archive.
        self.sink: Any = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ArchiveMiddleware:
        settings = crawler.settings
        if not settings.getbool(ENABLED_SETTING, True):
            raise NotConfigured(f"{ENABLED_SETTING} is off: no web archive")
        pages = (settings.get(PAGES_SETTING) or ARTICLES_ONLY).strip().lower()
        if pages not in PAGE_CHOICES:
            raise ValueError(f"{PAGES_SETTING} must be one of {', '.join(PAGE_CHOICES)}, not {pages!r}")
        directory, base = archive_directory(settings)
        db = Path(settings.get("ARABPRESS_DB") or "data/arabpress.db")
        config = handoff.ArchiveConfig(
            directory,
            prefix=files.file_prefix(db),
            base=base,
            max_bytes=settings.getint(MAX_BYTES_SETTING, DEFAULT_MAX_BYTES),
            info={
                "isPartOf": db.name,
                "operator": settings.get("USER_AGENT") or "",
                "robots": "obey" if settings.getbool("ROBOTSTXT_OBEY") else "ignore",
                "description": (
                    f"arabpress-crawler {__version__}: {pages} pages; bodies as sent (Content-Encoding kept), "
                    "transfer coding removed by the HTTP client"
                ),
            },
        )
        middleware = cls(crawler, config, all_pages=pages == ALL_PAGES)
        crawler.signals.connect(middleware.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(middleware.spider_closed, signal=signals.spider_closed)
        if settings.getbool(ARCHIVE_IN_WRITER_SETTING):
            crawler.signals.connect(middleware.sink_ready, signal=handoff.ARCHIVE_SINK)
        return middleware

    def sink_ready(self, sink: Any) -> None:
        """The writer's pipeline (:data:`~arabpress_crawler.archive.handoff.ARCHIVE_SINK`): it gets the captures."""
        self.sink = sink
        sink.archive_config = self.config

    def spider_opened(self) -> None:
        self.opened = True
        if self.sink is not None:
            logger.info("The writer process writes the web archive to %s", self.config.directory)
        else:
            self.stage.open(self.config)

    def spider_closed(self) -> None:
        self.stage.close()
        self.opened = False

    def wanted(self, request: Request, response: Response) -> bool:
        """Whether ``response`` is archived: a 2xx answer to an article request (any request with ``all``)."""
        if not 200 <= response.status < 300 or request.method == "HEAD":
            return False
        return self.all_pages or request.meta.get(ARTICLE_META_KEY) is not None

    def process_response(self, request: Request, response: Response) -> Response:
        if not self.opened or not self.wanted(request, response):
            return response
        if self.sink is not None:
            token = handoff.new_token()
            self.sink.hand(handoff.capture_of(request, response, token=token))
            request.meta[RECORD_META_KEY] = PendingArchiveRecord(token)
            return response
        record = self.stage.write(handoff.capture_of(request, response), self.config)
        if record is not None:
            request.meta[RECORD_META_KEY] = record
        return response

    def _count(self, key: str, count: int) -> None:
        if self.crawler.stats is not None:
            self.crawler.stats.inc_value(key, count)


def _attach(response: Response, output: Any) -> Any:
    if not isinstance(output, ArticleItem):
        return output
    record: ArchiveRecord | PendingArchiveRecord | None = response.meta.get(RECORD_META_KEY)
    if record is not None and output.archive is None:
        output.archive = record
    if output.parser_version is None:
        output.parser_version = extraction_version()
    return output


class ArchiveRecordMiddleware:
    """Spider middleware: an article item records where its response is archived and which extraction made it
    (``parser_version``); enabled whether the archive is on or off."""

    def process_spider_output(self, response: Response, result: Iterable[Any]) -> Iterator[Any]:
        for output in result:
            yield _attach(response, output)

    async def process_spider_output_async(
        self, response: Response, result: AsyncIterator[Any]
    ) -> AsyncIterator[Any]:
        async for output in result:
            yield _attach(response, output)
