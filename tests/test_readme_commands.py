"""Every command of the README (and of docs/search.md), run as written on a fresh clone (issue 15).

The fresh clone is a temporary folder holding the repository's files (``git ls-files``: tracked, and new files
not ignored), with a ``.venv`` standing for the one ``make demo`` creates: links to this test run's virtual
environment, and install stamps newer than ``pyproject.toml``, so ``make`` never installs (checked with ``make -n`` first). The
commands run there in the order of the document, each from ``bash -c`` with a fresh shell's ``PATH`` (the venv
not active) and a home of its own; once the README's ``. .venv/bin/activate`` has run, every later command runs
after it, as in the reader's terminal. One ``make demo`` (the README's first command) makes the database the
later commands read.

What a command gets is declared in :data:`TREATMENTS` (see :mod:`readme_commands`): run, served and asked
over HTTP, or not run with a reason and a probe. A command that appears in a document and is not declared there
fails :func:`test_every_command_is_declared`. Changes to a command as written, and only these: the README's
fixed ports (8765, 8766, 8001; datasette's default) become free ones, and a stand-in ``crontab`` on the ``PATH``
takes ``cron-line --install`` (never the user's crontab). Everything talks to 127.0.0.1 only.
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import ROOT, read_rows
from readme_commands import (
    ACTIVATE,
    HELP,
    Command,
    Mention,
    NotRun,
    Outcome,
    Run,
    Server,
    Treatment,
    Walk,
    commands,
    make_clone,
    strip_comment,
    untagged_blocks,
)
from test_health_cron import FAKE_CRONTAB  # `crontab -l` and `crontab -` on a file beside it

pytestmark = pytest.mark.slow

DOCUMENTS = (ROOT / "README.md", ROOT / "docs" / "search.md")


# -- what each command of the documents promises -----------------------------------------------------------------


def _table(clone: Path) -> list[str]:
    return (clone.parent / "bin" / "table").read_text(encoding="utf-8").splitlines()


def _jsonl(outcome: Outcome) -> list[dict]:
    return [json.loads(line) for line in outcome.stdout.splitlines() if line.strip()]


def check_demo(clone: Path, outcome: Outcome) -> None:
    assert "Crawled the Arab Press demo mirror" in outcome.stdout and "Try next:" in outcome.stdout
    assert read_rows(clone / "data/demo.db", "SELECT count(*) AS n FROM articles")[0]["n"] >= 60


def check_scrapy_items(clone: Path, outcome: Outcome) -> None:
    items = (clone / "data/items.jsonl").read_text(encoding="utf-8").splitlines()
    assert items, "a crawl into a fresh database writes the articles it stored (README)"


def check_search_finds_the_prefixed_word(clone: Path, outcome: Outcome) -> None:
    rows = _jsonl(outcome)
    assert any("القهوة" in (row.get("title") or "") + (row.get("body") or "") for row in rows), rows


def check_install(schedule: str, *words: str):
    def check(clone: Path, outcome: Outcome) -> None:
        lines = [line for line in _table(clone) if "arabpress.db" in line]
        assert len(lines) == 1, f"one line for the database, never two: {lines}"
        assert lines[0].startswith(schedule) and all(word in lines[0] for word in words), lines[0]

    return check


def check_search_figures(clone: Path, outcome: Outcome) -> None:
    """The figures docs/search.md gives for the project's stemmer are those the command prints."""
    printed = next(line for line in outcome.stdout.splitlines() if line.startswith("| arabpress_crawler.search"))
    documented = next(line for line in (ROOT / "docs/search.md").read_text(encoding="utf-8").splitlines()
                      if line.startswith("| **arabpress_crawler.search**"))
    figures = re.compile(r"\d\.\d{3} / \d\.\d{3}")
    assert figures.findall(printed) == figures.findall(documented), (printed, documented)


def check_plugin_loaded(bodies: dict[str, str]) -> None:
    names = [plugin["name"] for plugin in json.loads(bodies["/-/plugins.json"])]
    assert "arabpress-crawler" in names, f"plain datasette loads the project's plugin (entry point): {names}"


def contains(*words: str):
    def check(clone: Path, outcome: Outcome) -> None:
        for word in words:
            assert word in outcome.output, f"{word!r} not in the output"

    return check


def file_starts(path: str, start: bytes):
    def check(clone: Path, outcome: Outcome) -> None:
        assert (clone / path).read_bytes().startswith(start), path

    return check


def rows_at_least(count: int, language: str | None = None):
    def check(clone: Path, outcome: Outcome) -> None:
        text = outcome.stdout.strip()
        rows = json.loads(text) if text.startswith("[") else _jsonl(outcome)
        assert len(rows) >= count, f"{len(rows)} rows"
        assert language is None or {row["language"] for row in rows} == {language}

    return check


def says(*words: str):
    """A probe's check: its output has these words (``make -n``: the target runs them)."""

    def check(planned: str) -> None:
        assert all(word in planned for word in words), planned

    return check


def check_mirror_crawl(clone: Path, outcome: Outcome) -> None:
    assert read_rows(clone / "data/mirror.db", "SELECT url FROM articles LIMIT 1"), "no article stored"


def _run_extract(clone: Path, outcome: Outcome) -> None:
    assert json.loads(outcome.stdout)["title"].startswith("Russia, Turkey, Syria Defence Ministers")


def _wrote_related(clone: Path, outcome: Outcome) -> None:
    assert json.loads((clone / "data/related.json").read_text(encoding="utf-8"))


MENTION_ARABPRESS = "names a command in the prose; its full form is a command of the README or docs/cli.md"

#: Every command of the documents, and what it gets. Keep in the documents' order.
TREATMENTS: dict[str, Treatment] = {
    # README: the first two commands
    "make": Mention("the program's name (\"Python 3.11+ and `make`\")"),
    "make demo": Run(check_demo),
    "make test": NotRun("the whole suite, of which this test is one part (it would run itself)",
                        probe="make -n test", probe_check=says("ruff check", "pytest")),
    "arabpress": Mention("the program's name", probe=HELP),
    "arabpress reextract": Mention(MENTION_ARABPRESS, probe=HELP),
    "arabpress export --with-html": Mention(MENTION_ARABPRESS, probe=HELP),
    # A five-minute tour
    ACTIVATE: Run(),
    "arabpress --help": Run(contains("Usage: arabpress")),
    "arabpress stats --db data/demo.db": Run(contains("Health: ok")),
    "arabpress check --db data/demo.db": Run(contains("ok: run #1")),
    "arabpress db check --db data/demo.db": Run(contains("ok: data/demo.db")),
    "arabpress db check": Mention(MENTION_ARABPRESS, probe=HELP),
    "arabpress db rebuild-search": Mention(MENTION_ARABPRESS, probe=HELP),
    "arabpress crawl": Mention("the crawl of the public site (https://arab.press): the tests never leave "
                               "127.0.0.1; the README's crawl of the mirror is the same command", probe=HELP),
    "arabpress mirror serve --port 8765": Server(("/", "/robots.txt", "/feed/"), keep=True),
    "arabpress crawl --base-url http://127.0.0.1:8765 --mirror-profile --db data/mirror.db": Run(
        check_mirror_crawl),
    "scrapy crawl articles -a base_url=http://127.0.0.1:8765 -s ARABPRESS_PROFILE=mirror "
    "-s ARABPRESS_DB=data/scrapy.db -O data/items.jsonl": Run(check_scrapy_items),
    "arabpress reextract --db data/demo.db --dry-run": Run(contains("nothing was fetched")),
    "arabpress reextract --db data/demo.db": Run(contains("Re-extracted")),
    "arabpress extract": Mention(MENTION_ARABPRESS, probe=HELP),
    "arabpress extract tests/fixtures/mirror-seed-article/page.html --url https://arab.press/2022/12/28/"
    "russia-turkey-syria-defence-ministers-meet-for-talks-after-over-10-years/": Run(_run_extract),
    "arabpress export --db data/demo.db --format csv --excel --output data/articles.csv": Run(
        file_starts("data/articles.csv", b"\xef\xbb\xbf")),
    "arabpress export --db data/demo.db --format jsonl --language ar --output -": Run(rows_at_least(10, "ar")),
    "arabpress export --db data/demo.db --table related --format json --output data/related.json": Run(
        _wrote_related),
    'arabpress export --db data/demo.db --search "defence ministers" --format json --output -': Run(
        rows_at_least(1)),
    'arabpress export --db data/demo.db --search "قهوة" --language ar --format jsonl --output -': Run(
        check_search_finds_the_prefixed_word),
    'arabpress export --db data/demo.db --search "Saudi OR Syria" --sort relevance --format jsonl --output -': Run(
        rows_at_least(2)),
    "arabpress serve --db data/demo.db --port 8001": Server(("/", "/demo/articles", "/-/dashboards", "/-/charts")),
    "datasette data/demo.db": Server(("/demo/articles", "/-/charts", "/-/plugins.json"), add_port=True,
                                     check=check_plugin_loaded),
    # Scheduling with cron (a stand-in crontab on the PATH)
    "arabpress cron-line --every 3h": Run(contains("crawl --db", "data/arabpress.db")),
    "arabpress cron-line --every 3h --install": Run(check_install("17 */3 ")),
    "arabpress cron-line --every 6h --install -- --max-pages 500": Run(check_install("17 */6 ", "--max-pages 500")),
    "arabpress check": Mention(MENTION_ARABPRESS, probe=HELP),
    "arabpress crawl --wait": Mention(MENTION_ARABPRESS, probe=HELP),
    # More than one process
    "pip install -e '.[distributed]'": NotRun(
        "installs packages from PyPI; the probe resolves it offline against this environment (the dev extras "
        "hold the distributed ones)", probe="pip install --dry-run --no-index --no-build-isolation -e "
        "'.[distributed]'"),
    "arabpress crawl --backfill --redis redis://127.0.0.1:6379/0 --workers 4": NotRun(
        "a backfill of the public site (https://arab.press) through a Redis server; tests/distributed/ runs "
        "these crawls against the mirror", probe=HELP),
    "arabpress worker --redis redis://10.0.0.5:6379/0 --run RUN --base-url https://arab.press": NotRun(
        "joins a run on another machine's Redis (RUN: the id the crawl prints); tests/distributed/ runs workers",
        probe=HELP),
    # Scrapyd
    "pip install -e '.[deploy]'": NotRun(
        "installs packages from PyPI; the probe resolves it offline against this environment",
        probe="pip install --dry-run --no-index --no-build-isolation -e '.[deploy]'"),
    "scrapyd-deploy prod": NotRun(
        "uploads to a Scrapyd server named by the [deploy:prod] section its comment says to write; "
        "tests/test_scrapyd.py deploys to a real Scrapyd that way", probe="scrapyd-deploy --help"),
    "arabpress cron-line --every 3h --scrapyd http://127.0.0.1:6800 --db /srv/arabpress/arabpress.db": Run(
        contains("schedule.json", "ARABPRESS_DB=/srv/arabpress/arabpress.db")),
    # The local mirror
    "arabpress mirror": Mention(MENTION_ARABPRESS, probe=HELP),
    "arabpress demo": Mention(MENTION_ARABPRESS, probe=HELP),
    "arabpress mirror generate --articles 10000 --out data/mirror-10k": NotRun(
        "writes 10,100 articles, 330 MB (20 s on an idle machine, minutes of disk under load): the probe is the "
        "same command with 200 articles (tests/test_mirror_generate.py tests the generator); the next command "
        "serves what it wrote", probe="arabpress mirror generate --articles 200 --out data/mirror-10k",
        probe_check=says("Generated")),
    "arabpress mirror serve --root data/mirror-10k --port 8766": Server(("/", "/sitemap_index.xml")),
    # Development
    "apt-get install chromium chromium-driver": NotRun(
        "installs system packages as root (.ci/run does); where chromium is installed, the probe finds both "
        "packages under these names", probe="dpkg-query -W chromium chromium-driver" if shutil.which("chromium")
        else None),
    ".ci/run": NotRun("the CI entry point: installs chromium and redis-server as root, then `make test`",
                      probe="bash -n .ci/run"),
    "make bench": NotRun("the benchmark harness, 20 to 30 minutes", probe="make -n bench",
                         probe_check=says("python -m bench.run")),
    "python -m bench.run --quick": NotRun("a one-minute benchmark run; tests/test_bench_harness.py tests the "
                                          "harness", probe=HELP),
    "make bench-extraction": Run(contains("corpus")),  # no ../shared/corpora beside the clone: skipped
    "python -m bench.big_page [--links N] [--generic] [--article-body-mb MB]": NotRun(
        "a synopsis (optional arguments in brackets) of a benchmark of one huge page", probe="python -m "
        "bench.big_page --help"),
    "python scripts/regenerate_fixtures.py [CASE ...]": NotRun(
        "a synopsis; rewrites the golden files on purpose (tests/test_pages_fixtures.py compares them)",
        probe="python scripts/regenerate_fixtures.py --help"),
    "python scripts/gen_cli_docs.py": Run(contains("wrote")),
    "python -m arabpress_mirror.build": Run(contains("articles")),
    # docs/search.md
    "arabpress export --search": Mention(MENTION_ARABPRESS, probe=HELP),
    "arabpress serve": Mention(MENTION_ARABPRESS, probe=HELP),
    "datasette data/arabpress.db": Mention("plain datasette on the database a crawl writes; the README's "
                                           "`datasette data/demo.db` is served and checked"),
    "arabpress export --help": Run(contains("--search", "prefix*")),
    "arabpress export --search … --sort relevance": Mention("a form with a placeholder (…)", probe=HELP),
    "python -m bench.search_quality --misses": Run(check_search_figures),
    "pip install tashaphyne nltk snowballstemmer": NotRun(
        "installs packages from PyPI, only to re-run the comparison (the script skips a missing library)"),
}


def document_commands() -> list[Command]:
    found: dict[str, Command] = {}
    for document in DOCUMENTS:
        for command in commands(document):
            found.setdefault(command.text, command)
    return list(found.values())


def hint_treatment(hint: str) -> Treatment:
    if " serve " in f"{hint} ":
        return Server(("/", "/demo/articles"), add_port=True)
    if hint == "make demo":
        return Run(contains("this run: 0 new"))  # "again: the second crawl is incremental"
    return Run()


def run_printed_hints(walk: Walk) -> list[Outcome]:
    """The "Try next" lines the README's ``make demo`` printed, run as printed, in a fresh shell (no venv)."""
    printed = walk.outcomes["make demo"].stdout.splitlines()
    lines = [line.strip() for line in printed[printed.index("Try next:") + 1:] if line.strip()]
    hints = [strip_comment(line) for line in lines if not line.startswith("(")]
    activation = [re.findall(r"`([^`]+)`", line) for line in lines if line.startswith("(or first")]
    if activation:  # "(or first `. .venv/bin/activate`: then `arabpress` alone works)"
        step, bare = activation[0]
        hints.append(f"{step} && {bare} --help")
    walk.prelude = ""
    return [walk.run(Command(hint, "make demo", 0, inline=False), hint_treatment(hint), record=False)
            for hint in hints]


@pytest.fixture(scope="module")
def walk(tmp_path_factory) -> Iterator[Walk]:
    if sys.prefix == sys.base_prefix:
        pytest.skip("the README's commands use .venv/bin: run the tests from a virtual environment (make test)")
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout: no list of what a fresh clone holds")
    folder = tmp_path_factory.mktemp("readme")
    clone = make_clone(ROOT, folder)
    home = folder / "home"
    home.mkdir()
    fake_bin = folder / "bin"
    fake_bin.mkdir()
    (fake_bin / "crontab").write_text(FAKE_CRONTAB, encoding="utf-8")
    (fake_bin / "crontab").chmod(0o755)
    walk = Walk(clone, home, fake_bin)
    try:
        for command in document_commands():
            treatment = TREATMENTS.get(command.text)
            if treatment is not None:
                walk.run(command, treatment)
        walk.hints = run_printed_hints(walk)
        yield walk
    finally:
        walk.close()
        shutil.rmtree(clone, ignore_errors=True)  # mirrors, databases, web archives: not kept


# -- the tests ------------------------------------------------------------------------------------------------


def test_every_command_is_declared():
    """A command added to the README (or docs/search.md) must be run here or classified with a reason."""
    found = [command.text for command in document_commands()]
    undeclared = [f"{command.source}:{command.line}: {command.text}" for command in document_commands()
                  if command.text not in TREATMENTS]
    assert not undeclared, "commands neither run nor classified in TREATMENTS:\n" + "\n".join(undeclared)
    stale = [text for text in TREATMENTS if text not in found]
    assert not stale, f"TREATMENTS lists commands the documents no longer give: {stale}"


def test_commands_are_in_tagged_blocks():
    """A fenced block without a language is output, never commands: the README's one sample of a demo run."""
    blocks = [block for document in DOCUMENTS for block in untagged_blocks(document)]
    assert [first.split(" at ")[0] for _, first in blocks] == ["Crawled the Arab Press demo mirror"], blocks


@pytest.mark.parametrize("text", list(TREATMENTS), ids=lambda text: shlex.join(text.split()[:6])[:60])
def test_command_works_as_written(walk, text):
    outcome = walk.outcomes[text]
    assert not outcome.problems, (
        f"{text}\n  ran: {outcome.ran}\n  " + "\n  ".join(outcome.problems)
        + f"\n  stdout: {outcome.stdout[-1500:]}"
    )




def test_hints_printed_by_make_demo_run_as_printed(walk):
    """Issue 15: every printed hint works as written. These are the lines the README's `make demo` printed."""
    assert len(walk.hints) >= 5, [outcome.ran for outcome in walk.hints]
    failed = [f"{outcome.ran}: {outcome.problems}" for outcome in walk.hints if outcome.problems]
    assert not failed, failed
