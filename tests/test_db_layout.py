"""The database package holds all the SQL, and never depends on Scrapy.

Every module of the crawler outside ``arabpress_crawler/db/`` (the mirror excepted: it is a test double with
no database) is parsed; a string literal that reads as an SQL statement fails the test with its place.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "arabpress_crawler"
DB_PACKAGE = PACKAGE / "db"
#: Folders of the crawler package that are not the crawler: the mirror (moving to ``arabpress_mirror/``).
EXCEPTED = (DB_PACKAGE, PACKAGE / "demo")
#: The crawler modules the database package may import: plain data and text helpers.
DB_MAY_IMPORT = frozenset({"db", "items", "search", "text", "urls"})
#: A statement keyword at the start of a string, or one followed by what SQL puts after it.
SQL_STATEMENT = re.compile(
    r"^\s*(SELECT|INSERT|UPDATE|DELETE|CREATE|PRAGMA|DROP|ALTER|WITH)\b"
    r"|\b(SELECT\s+\S.*\bFROM|INSERT\s+(OR\s+\w+\s+)?INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM"
    r"|CREATE\s+(TABLE|INDEX|TRIGGER|VIEW|VIRTUAL)|PRAGMA\s+\w+)\b",
    re.DOTALL,
)


def crawler_modules() -> list[Path]:
    return sorted(
        path
        for path in PACKAGE.rglob("*.py")
        if not any(path.is_relative_to(folder) for folder in EXCEPTED)
    )


def sql_literals(path: Path) -> list[str]:
    """``file:line: text`` of every string literal (f-strings' constant parts included) that is SQL."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            text = "".join(v.value if isinstance(v, ast.Constant) else "x" for v in node.values)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
            text = node.value
        else:
            continue
        if SQL_STATEMENT.search(text):
            found.append(f"{path.relative_to(PACKAGE.parent)}:{node.lineno}: {text[:80]!r}")
    return found


def test_the_detector_sees_sql() -> None:
    for sql in (
        "SELECT url FROM articles",
        "select count(*) from crawl_runs",
        "INSERT INTO headlines(url) VALUES (?)",
        "UPDATE articles SET title = ?",
        "DELETE FROM url_aliases",
        "PRAGMA journal_mode = WAL",
        " CREATE TABLE t (x)",
    ):
        assert SQL_STATEMENT.search(sql.upper()), sql
    for text in ("Select the articles to export", "Update the stored articles", "created at", "a FROM b"):
        assert not SQL_STATEMENT.search(text), text


def test_no_sql_outside_the_db_package() -> None:
    modules = crawler_modules()
    assert len(modules) > 20  # the walk found the crawler
    found = [hit for path in modules for hit in sql_literals(path)]
    assert not found, "SQL outside arabpress_crawler/db/:\n" + "\n".join(found)


def test_the_db_package_never_imports_scrapy_nor_the_crawler() -> None:
    modules = sorted(DB_PACKAGE.rglob("*.py"))
    assert modules
    for path in modules:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            else:
                continue
            for name in names:
                assert name.split(".")[0] not in ("scrapy", "twisted"), f"{path}: imports {name}"
                if name.startswith("arabpress_crawler."):
                    assert name.split(".")[1] in DB_MAY_IMPORT, f"{path}: imports {name}"


def test_run_statuses_and_coverage_fields_are_declared_once() -> None:
    from arabpress_crawler import crawling, health, run_record
    from arabpress_crawler.cli import crawl as cli_crawl
    from arabpress_crawler.db import runs

    assert health.BAD_STATUSES is runs.BAD_RUN_STATUSES and runs.BAD_RUN_STATUSES < set(runs.RUN_STATUSES)
    assert crawling.RUN_FINISHED == runs.RUN_FINISHED and cli_crawl.RUN_INTERRUPTED == runs.RUN_INTERRUPTED
    declared = [
        f"{path.relative_to(PACKAGE.parent)}:{node.lineno}"
        for path in sorted(PACKAGE.rglob("*.py"))
        if path != DB_PACKAGE / "runs.py"
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Assign)
        and isinstance(node.value, ast.Constant)
        and node.value.value in runs.RUN_STATUSES
        and any(isinstance(t, ast.Name) and ("RUN" in t.id or "STATUS" in t.id) for t in node.targets)
    ]
    assert declared == [], f"run statuses declared outside db/runs.py: {declared}"
    # The run record keeps the coverage of COVERAGE_FIELDS; run health watches a few of those.
    assert set(health.WATCHED_COVERAGE_FIELDS) < set(run_record.COVERAGE_FIELDS)
    assert not hasattr(health, "COVERAGE_FIELDS")
