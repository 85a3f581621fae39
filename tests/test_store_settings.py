"""Connection settings of the store that are not visible in the rows it writes."""

from __future__ import annotations

from pathlib import Path

from arabpress_crawler import db as db_api


def test_the_write_ahead_log_is_checkpointed_every_few_thousand_pages(tmp_path: Path) -> None:
    db = db_api.open_db(tmp_path / "arabpress.db")
    try:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert db.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == db_api.WAL_AUTOCHECKPOINT_PAGES
    finally:
        db.close()
