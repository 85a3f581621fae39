"""``arabpress db check`` and ``arabpress db rebuild-search`` on real files."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from arabpress_crawler import db
from arabpress_crawler.cli import cli
from arabpress_crawler.items import ArticleItem
from tests.conftest import release_0_1_0_db

URL = "https://arab.press/2025/11/08/ministers-meet/"


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), prog_name="arabpress")
    return result.exit_code, result.output


def stored(path: Path) -> Path:
    database = db.open_db(path)
    db.ArticleWriter(database).write_batch([ArticleItem(url=URL, title="Ministers meet", body="وزراءُ الدفاعِ")])
    database.close()
    return path


def test_a_consistent_database_is_ok(tmp_path: Path) -> None:
    code, output = run("db", "check", "--db", str(stored(tmp_path / "a.db")), "--deep")
    assert code == 0 and output.startswith("ok: ") and f"schema version {db.SCHEMA_VERSION}" in output


def test_a_release_0_1_0_database_is_migrated_and_ok(tmp_path: Path) -> None:
    path = release_0_1_0_db(tmp_path / "old.db")
    code, output = run("db", "check", "--db", str(path))
    assert (code, output.strip()) == (0, f"ok: {path} (schema version {db.SCHEMA_VERSION}) is consistent")


def test_text_edited_by_hand_is_reported_then_rebuilt(tmp_path: Path) -> None:
    path = stored(tmp_path / "a.db")
    database = db.open_db(path)
    with db.transaction(database) as conn:
        conn.execute("UPDATE articles SET title = 'Ministers meet in Moscow'")
    database.close()

    code, output = run("db", "check", "--db", str(path), "--deep")
    assert code == 1 and output == f"stale search copy for {URL}\n"

    code, output = run("db", "rebuild-search", "--db", str(path))
    assert code == 0 and output.startswith("rebuilt the search indexes of")
    assert run("db", "check", "--db", str(path), "--deep")[0] == 0
    database = db.open_db(path)
    assert [row["url"] for row in db.search_articles(database, "moscow")] == [URL]
    database.close()


def test_a_missing_or_foreign_file_is_one_error_line(tmp_path: Path) -> None:
    code, output = run("db", "check", "--db", str(tmp_path / "missing.db"))
    assert code == 1 and output.count("\n") == 1 and "no database at" in output
    foreign = tmp_path / "notes.db"
    foreign.write_text("not a database " * 100)
    code, output = run("db", "rebuild-search", "--db", str(foreign))
    assert code == 1 and output.count("\n") == 1 and "is damaged or not an SQLite database" in output
    assert "Traceback" not in output
