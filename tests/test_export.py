"""arabpress export: formats that load back to the same rows, filters, safe SQL, atomic files, clear errors."""

from __future__ import annotations

import csv
import io
import json
import os
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner
from test_export_sample import (
    ARABIC_BODY,
    ARABIC_TITLE,
    ARABIC_URL,
    DUPLICATE_URL,
    OLD_URL,
    SEED_URL,
    SPORTS_URL,
    TRICKY_TITLE,
    TRICKY_URL,
    build_sample_db,
)

from arabpress_crawler import exporting
from arabpress_crawler.cli import cli

JSON_ARRAY_COLUMNS = ("authors", "tags")


@pytest.fixture(scope="module")
def sample_db(tmp_path_factory) -> Path:
    return build_sample_db(tmp_path_factory.mktemp("export") / "sample.db")


def export(db: Path, *args: str):
    return CliRunner().invoke(cli, ["export", "--db", str(db), *args])


def stored_rows(db: Path, sql: str = "SELECT * FROM articles WHERE duplicate_of IS NULL") -> dict[str, dict]:
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    try:
        return {row["url"]: dict(row) for row in conn.execute(sql)}
    finally:
        conn.close()


def as_json_row(row: dict) -> dict:
    out = dict(row)
    for name in JSON_ARRAY_COLUMNS:
        out[name] = json.loads(out[name])
    out["extraction"] = json.loads(out["extraction"])
    return out


def as_csv_row(row: dict) -> dict:
    out = {name: "" if value is None else str(value) for name, value in row.items()}
    for name in JSON_ARRAY_COLUMNS:
        out[name] = ";".join(json.loads(row[name]))
    return out


def urls_of(result) -> list[str]:
    assert result.exit_code == 0, result.output
    return [json.loads(line)["url"] for line in result.output.splitlines()]


# --- formats load back to the same rows -----------------------------------------------------------


def test_csv_loads_back_to_the_same_rows(sample_db, tmp_path):
    target = tmp_path / "articles.csv"
    result = export(sample_db, "--format", "csv", "--output", str(target))
    assert result.exit_code == 0, result.output
    raw = target.read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf")
    assert b"\r\n" in raw  # RFC 4180 line ends
    with target.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    expected = stored_rows(sample_db)
    assert {row["url"]: row for row in rows} == {url: as_csv_row(row) for url, row in expected.items()}
    arabic = next(row for row in rows if row["url"] == ARABIC_URL)
    assert arabic["title"] == ARABIC_TITLE and arabic["body"] == ARABIC_BODY
    assert arabic["tags"] == "سوريا;تركيا"


def test_json_is_one_array_of_the_same_rows(sample_db, tmp_path):
    target = tmp_path / "articles.json"
    result = export(sample_db, "--format", "json", "-o", str(target))
    assert result.exit_code == 0, result.output
    rows = json.loads(target.read_text(encoding="utf-8"))
    assert isinstance(rows, list)
    expected = stored_rows(sample_db)
    assert {row["url"]: row for row in rows} == {url: as_json_row(row) for url, row in expected.items()}
    assert "\\u" not in target.read_text(encoding="utf-8")  # Arabic written as itself


def test_jsonl_has_one_object_per_line(sample_db, tmp_path):
    target = tmp_path / "articles.jsonl"
    assert export(sample_db, "--format", "jsonl", "-o", str(target)).exit_code == 0
    lines = target.read_text(encoding="utf-8").splitlines()
    rows = [json.loads(line) for line in lines]
    expected = stored_rows(sample_db)
    assert len(rows) == len(expected)
    assert {row["url"]: row for row in rows} == {url: as_json_row(row) for url, row in expected.items()}
    arabic = next(row for row in rows if row["url"] == ARABIC_URL)
    assert arabic["authors"] == ["عربي برس"]


def test_empty_result_is_still_valid(sample_db):
    result = export(sample_db, "--format", "json", "--since", "2030-01-01")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == []
    result = export(sample_db, "--format", "csv", "--since", "2030-01-01")
    assert result.output.startswith("url,title,")
    assert len(result.output.splitlines()) == 1


def test_excel_adds_a_byte_order_mark(sample_db, tmp_path):
    target = tmp_path / "excel.csv"
    assert export(sample_db, "--excel", "-o", str(target)).exit_code == 0
    assert target.read_bytes().startswith(b"\xef\xbb\xbf")
    with target.open(encoding="utf-8-sig", newline="") as handle:
        assert next(csv.reader(handle))[0] == "url"


def test_stdout_is_the_default_output(sample_db):
    result = export(sample_db, "--format", "csv")
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.output, newline="")))
    assert {row["url"] for row in rows} == set(stored_rows(sample_db))


def test_headlines_table(sample_db):
    result = export(sample_db, "--table", "headlines", "--format", "jsonl")
    rows = [json.loads(line) for line in result.output.splitlines()]
    assert {row["url"] for row in rows} == set(stored_rows(sample_db, "SELECT * FROM headlines"))
    assert set(rows[0]) == {"url", "title", "first_seen_at", "last_seen_at"}


def test_related_joins_both_titles(sample_db):
    result = export(sample_db, "--table", "related", "--format", "jsonl")
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.output.splitlines()]
    assert len(rows) == 5
    first = rows[0]
    assert first["article_url"] == SEED_URL and first["position"] == 1
    assert first["article_title"].startswith("Russia, Turkey, Syria")
    assert first["headline_title"] == first["title_as_shown"] == "MrBeast’s ‘Beast Land’ Arrives in Riyadh"
    arabic = [row for row in rows if row["article_url"] == ARABIC_URL]
    assert arabic and arabic[0]["article_title"] == ARABIC_TITLE


def test_related_filters_apply_to_the_article(sample_db):
    result = export(sample_db, "--table", "related", "--format", "jsonl", "--language", "ar")
    rows = [json.loads(line) for line in result.output.splitlines()]
    assert {row["article_url"] for row in rows} == {ARABIC_URL}


# --- filters --------------------------------------------------------------------------------------


def test_duplicates_are_left_out_unless_asked(sample_db):
    assert DUPLICATE_URL not in urls_of(export(sample_db, "--format", "jsonl"))
    assert DUPLICATE_URL in urls_of(export(sample_db, "--format", "jsonl", "--include-duplicates"))


def test_since_and_until_are_inclusive_days(sample_db):
    urls = urls_of(export(sample_db, "--format", "jsonl", "--since", "2025-11-06", "--until", "2025-11-07"))
    assert SPORTS_URL in urls and ARABIC_URL in urls
    assert SEED_URL not in urls and TRICKY_URL not in urls and OLD_URL not in urls


def test_section_and_language(sample_db):
    assert urls_of(export(sample_db, "--format", "jsonl", "--section", "Sports")) == [SPORTS_URL]
    assert urls_of(export(sample_db, "--format", "jsonl", "--section", "سياسة")) == [ARABIC_URL]
    arabic = urls_of(export(sample_db, "--format", "jsonl", "--language", "ar"))
    assert ARABIC_URL in arabic and len(arabic) == 2


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("Moscow", {SEED_URL}),
        ("moscow DEFENCE", {SEED_URL}),
        ("وزراء الدفاع", {ARABIC_URL}),  # no diacritics finds the diacritised article
        ("وُزَرَاءُ", {ARABIC_URL}),
        ("الـدفاع", {ARABIC_URL}),  # tatweel
        ("٢٠١١", {ARABIC_URL, SEED_URL}),  # Arabic-Indic digits match ASCII "2011" and back
    ],
)
def test_search_is_full_text_and_normalised(sample_db, query, expected):
    assert set(urls_of(export(sample_db, "--format", "jsonl", "--search", query))) == expected


def test_search_on_headlines(sample_db):
    result = export(sample_db, "--table", "headlines", "--format", "jsonl", "--search", "riyadh")
    assert [json.loads(line)["title"] for line in result.output.splitlines()] == [
        "MrBeast’s ‘Beast Land’ Arrives in Riyadh"
    ]


@pytest.mark.parametrize(
    "query",
    [
        "Robert'); DROP TABLE articles;--",
        '" OR 1=1 --',
        "NEAR(moscow syria) OR *",
        "title:moscow",
        '"unbalanced',
        "%_%",
    ],
)
def test_sql_and_fts_syntax_in_search_is_searched_as_text(sample_db, query):
    result = export(sample_db, "--format", "jsonl", "--search", query)
    assert result.exit_code == 0, result.output
    assert len(stored_rows(sample_db, "SELECT * FROM articles")) == 8  # nothing dropped
    urls = [json.loads(line)["url"] for line in result.output.splitlines()]
    assert set(urls) <= {TRICKY_URL, SEED_URL}


def test_search_finds_the_headline_with_sql_in_it(sample_db):
    assert urls_of(export(sample_db, "--format", "jsonl", "--search", "DROP TABLE")) == [TRICKY_URL]
    rows = [json.loads(line) for line in export(sample_db, "--format", "jsonl", "--search", "bobby").output.splitlines()]
    assert rows == [] or rows[0]["title"] == TRICKY_TITLE


@pytest.mark.parametrize(
    ("option", "value"),
    [("--section", "Politics' OR '1'='1"), ("--language", "en' --"), ("--section", "%")],
)
def test_sql_in_filters_is_an_unknown_value(sample_db, option, value):
    result = export(sample_db, "--format", "jsonl", option, value)
    assert result.exit_code == 1
    assert "unknown" in result.output
    assert len(stored_rows(sample_db, "SELECT * FROM articles")) == 8


# --- errors ---------------------------------------------------------------------------------------


def one_line_error(result, *fragments: str) -> str:
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    for fragment in fragments:
        assert fragment in lines[0]
    return lines[0]


def test_missing_database(tmp_path):
    one_line_error(export(tmp_path / "nope.db"), "no database at", "arabpress crawl")


def test_file_that_is_not_a_database(tmp_path):
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not sqlite" * 100)
    one_line_error(export(junk), "not a readable SQLite database")


def test_database_without_articles(tmp_path):
    other = tmp_path / "other.db"
    sqlite3.connect(other).execute("CREATE TABLE t (x)").connection.close()
    one_line_error(export(other), "not an arabpress database")


@pytest.mark.parametrize("value", ["yesterday", "2025-13-01", "2025-02-30", "11/08/2025"])
def test_bad_date(sample_db, value):
    one_line_error(export(sample_db, "--since", value), "--since", "YYYY-MM-DD")
    one_line_error(export(sample_db, "--until", value), "--until")


def test_since_after_until(sample_db):
    one_line_error(export(sample_db, "--since", "2025-11-09", "--until", "2025-11-01"), "swap")


def test_unknown_section_suggests_known_ones(sample_db):
    line = one_line_error(export(sample_db, "--section", "sport"), "unknown section 'sport'")
    assert "Did you mean 'Sports'?" in line
    for known in ("Politics", "Economy", "سياسة"):
        assert known in line


def test_unknown_language(sample_db):
    one_line_error(export(sample_db, "--language", "fr"), "unknown language 'fr'", "ar, en")


def test_unknown_table_and_format_are_usage_errors(sample_db):
    for args in (["--table", "users"], ["--format", "xml"]):
        result = export(sample_db, *args)
        assert result.exit_code == 2
        assert "Invalid value" in result.output


def test_article_filters_on_headlines(sample_db):
    one_line_error(export(sample_db, "--table", "headlines", "--section", "Sports"), "--section", "--table articles")


def test_excel_needs_csv(sample_db):
    one_line_error(export(sample_db, "--excel", "--format", "json"), "--excel")


@pytest.mark.parametrize("query", [" ;; ", "'", '""', "*"])
def test_search_without_words(sample_db, query):
    one_line_error(export(sample_db, "--search", query), "--search is empty")


def test_output_is_a_directory(sample_db, tmp_path):
    one_line_error(export(sample_db, "-o", str(tmp_path)), "is a directory")


def test_output_folder_missing(sample_db, tmp_path):
    one_line_error(export(sample_db, "-o", str(tmp_path / "missing" / "a.csv")), "does not exist")


def test_output_not_writable(sample_db, tmp_path):
    if os.geteuid() == 0:
        target = Path("/sys/arabpress-export-test.csv")  # even root cannot create files here
        if not Path("/sys").is_dir():
            pytest.skip("no unwritable folder available to root")
    else:
        locked = tmp_path / "locked"
        locked.mkdir()
        locked.chmod(0o500)
        target = locked / "a.csv"
    one_line_error(export(sample_db, "-o", str(target)), "not writable")
    assert not target.exists()


# --- atomic files and streaming -------------------------------------------------------------------


def test_failed_export_leaves_no_file_and_keeps_the_old_one(sample_db, tmp_path, monkeypatch):
    target = tmp_path / "keep.csv"
    target.write_text("previous export\n", encoding="utf-8")

    def broken_rows(db, query):
        yield from ()
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(exporting, "iter_rows", broken_rows)
    with pytest.raises(sqlite3.OperationalError):
        exporting.export_to_file(exporting.open_readonly(sample_db), exporting.ExportRequest(), "csv", target)
    assert target.read_text(encoding="utf-8") == "previous export\n"
    assert [p.name for p in tmp_path.iterdir()] == ["keep.csv"]


def test_success_replaces_the_file_and_leaves_no_temporary(sample_db, tmp_path):
    target = tmp_path / "out.json"
    target.write_text("old", encoding="utf-8")
    target.chmod(0o640)
    assert export(sample_db, "--format", "json", "-o", str(target)).exit_code == 0
    assert isinstance(json.loads(target.read_text(encoding="utf-8")), list)
    assert [p.name for p in tmp_path.iterdir()] == ["out.json"]
    assert target.stat().st_mode & 0o777 == 0o640  # the replaced file's permissions are kept


def test_new_export_gets_the_usual_permissions(sample_db, tmp_path):
    umask = os.umask(0o022)
    try:
        target = tmp_path / "new.csv"
        assert export(sample_db, "-o", str(target)).exit_code == 0
    finally:
        os.umask(umask)
    assert target.stat().st_mode & 0o777 == 0o644  # not the temporary file's private 0600


class RecordingStream(io.StringIO):
    """A text stream that counts the rows written so far."""

    def rows_written(self) -> int:
        return self.getvalue().count('"url"')


@pytest.mark.parametrize("fmt", ["json", "jsonl"])
def test_rows_are_written_as_they_are_read(fmt):
    out = RecordingStream()
    seen_before_each_row: list[int] = []

    def rows():
        for number in range(5):
            seen_before_each_row.append(out.rows_written())
            yield {"url": f"u{number}", "authors": "[]"}

    exporting.write_rows(rows(), ("url", "authors"), out, fmt)
    assert seen_before_each_row == [0, 1, 2, 3, 4]  # each row is out before the next one is fetched


def test_iter_rows_is_a_lazy_cursor(sample_db):
    db = exporting.open_readonly(sample_db)
    try:
        query = exporting.build_query(db, exporting.ExportRequest())
        rows = exporting.iter_rows(db, query)
        assert next(rows)["url"] == OLD_URL  # oldest publication first
        rows.close()
    finally:
        db.conn.close()


def test_filter_values_are_parameters(sample_db):
    db = exporting.open_readonly(sample_db)
    try:
        request = exporting.ExportRequest(since="2025-11-01", section="Politics", language="en", search="moscow")
        query = exporting.build_query(db, request)
    finally:
        db.conn.close()
    assert "Politics" not in query.sql and "moscow" not in query.sql and "2025" not in query.sql
    assert query.params["section"] == "Politics" and query.params["search"] == '"moscow"'
