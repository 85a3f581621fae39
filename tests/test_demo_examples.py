"""The examples of `arabpress export --help` and the searches of issue 15, run as written on the demo database.

One demo crawl of the packaged mirror (a fresh folder, as a new user has), then each example with
``--db data/demo.db``: it must exit 0 and write rows. Choices are case-insensitive (``--language AR``).
"""

from __future__ import annotations

import json
import shlex
import subprocess
from pathlib import Path

import pytest
from conftest import CRAWL_TIMEOUT_SECONDS, arabpress_command, clean_env

from arabpress_crawler.cli.export import export

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("demo-examples")
    result = subprocess.run(arabpress_command("demo", "--port", "0", "--quiet"), cwd=folder, env=clean_env(),
                            capture_output=True, text=True, timeout=CRAWL_TIMEOUT_SECONDS)
    assert result.returncode == 0, result.stderr
    return folder


def arabpress(folder: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(arabpress_command(*args), cwd=folder, env=clean_env(), capture_output=True,
                          text=True, timeout=CRAWL_TIMEOUT_SECONDS)


def help_examples() -> list[list[str]]:
    lines = [line.strip() for line in (export.help or "").splitlines()]
    return [shlex.split(line)[1:] for line in lines if line.startswith("arabpress export ")]


@pytest.mark.parametrize("example", help_examples(), ids=lambda args: " ".join(args))
def test_export_help_examples_write_rows_on_the_demo(demo_dir, example):
    result = arabpress(demo_dir, *example, "--db", "data/demo.db")
    assert result.returncode == 0, result.stderr
    output = Path(demo_dir, example[example.index("-o") + 1])
    text = output.read_text(encoding="utf-8-sig")
    rows = json.loads(text) if output.suffix == ".json" else text.splitlines()[1:]
    assert rows, f"{' '.join(example)} wrote no rows"


def test_choices_ignore_case(demo_dir):
    result = arabpress(demo_dir, "export", "--db", "data/demo.db", "--language", "AR", "--section", "عربي",
                       "--format", "JSONL", "--table", "Articles", "-o", "-")
    assert result.returncode == 0, result.stderr
    assert len(result.stdout.splitlines()) == 10
    result = arabpress(demo_dir, "export", "--db", "data/demo.db", "--section", "business", "-o", "-")
    assert result.returncode == 0, result.stderr


#: Issue 15's Arabic searches on the demo database: the bare word, and the article it must find.
ISSUE_SEARCHES = {
    "قهوة": "coffee-prices-rise-local-markets",
    "مترو": "riyadh-metro-new-line-opens",
    "رياض": "riyadh-metro-new-line-opens",
    "جامعه": "amman-university-ai-programme",
}


@pytest.mark.parametrize(("query", "slug"), ISSUE_SEARCHES.items())
def test_issue_searches_find_their_article_on_the_demo(demo_dir, query, slug):
    result = arabpress(demo_dir, "export", "--db", "data/demo.db", "--search", query, "--language", "ar",
                       "--format", "jsonl", "-o", "-")
    assert result.returncode == 0, result.stderr
    urls = [json.loads(line)["url"] for line in result.stdout.splitlines()]
    assert any(slug in url for url in urls), urls
