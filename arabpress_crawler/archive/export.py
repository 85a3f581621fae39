"""Raw pages in exports, only when asked (``arabpress export --with-html``): each article row gets an ``html``
column with the page its fields were extracted from, read back from the web archive and decoded with its
charset as the crawler decoded it. A row without a record (or whose record is missing) gets ``null``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from arabpress_crawler.archive.reader import RecordMissing, read_response, scrapy_response
from arabpress_crawler.items import ArchiveRecord

logger = logging.getLogger(__name__)

HTML_COLUMN = "html"


def page_html(row: dict[str, Any], base: Path) -> str | None:
    """The archived page of an ``articles`` row as text, or ``None``."""
    if not row.get("archive_file"):
        return None
    record = ArchiveRecord(row["archive_file"], int(row["archive_offset"]), int(row["archive_length"]),
                           row["archive_record_id"])  # fmt: skip
    try:
        response = scrapy_response(read_response(record, base))
    except RecordMissing as error:
        logger.warning("archived page of %s not exported: %s", row.get("url"), error)
        return None
    return getattr(response, "text", None)


def with_html(rows: Iterable[dict[str, Any]], base: Path) -> Iterator[dict[str, Any]]:
    """``rows`` with the :data:`HTML_COLUMN` added."""
    for row in rows:
        yield {**row, HTML_COLUMN: page_html(row, base)}
