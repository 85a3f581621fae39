"""``arabpress check``'s look at the web archive: stored articles whose archived response is missing.

Cheap enough for every check (cron): one grouped query (how many rows point into each file, and where the
last of them ends) and one ``stat`` per archive file. Not part of the crawl's own health report: a crawl
judges the run it made, and a database copied without its archive is still crawled into correctly. A file that is gone, or shorter
than the records rows point at (cut short), is a problem; rows with no record at all (crawled with
``--no-archive``) are not.
"""

from __future__ import annotations

import logging
import sqlite3

from arabpress_crawler.archive import files
from arabpress_crawler.db import archive as archive_db

logger = logging.getLogger(__name__)


def problems(conn: sqlite3.Connection) -> list[str]:
    """One line per archive file that stored articles point at but that is missing or cut short."""
    base = archive_db.database_dir(conn)
    if base is None or not archive_db.has_archive_columns(conn):
        return []
    found: list[str] = []
    for extent in archive_db.record_extents(conn):
        path = files.resolve(extent.file, base)
        if path is None:
            example = archive_db.records_in(conn, extent.file)[0][0]
            found.append(f"{extent.rows} articles point at the archive file {extent.file}, which is missing "
                         f"(e.g. {example}): their archived responses are lost")  # fmt: skip
            continue
        size = path.stat().st_size
        if size >= extent.end:
            continue
        short = [url for url, record in archive_db.records_in(conn, extent.file) if record.offset + record.length > size]
        found.append(f"{len(short)} articles point past the end of the archive file {extent.file} ({size} bytes; "
                     f"e.g. {short[0]}): their archived responses were cut short")  # fmt: skip
    for line in found:
        logger.info("archive check: %s", line)
    return found
