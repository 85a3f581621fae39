"""Shared machinery of the reliability suite: mirror sites with hand-made pages, crawls and their checks.

A case's mirror is a copy of the packaged demo mirror plus the case's pages, linked from the homepage so
the spider finds them. Crawls run ``arabpress crawl`` in a child process (a Twisted reactor runs once per
process), against a :class:`~arabpress_mirror.server.MirrorServer` in the test process, so the
server's fault switches and request counters are at hand. :class:`CrawlResult` reads back what a crawl
left: the exit code and output, the run record, the articles, the log, and the store's consistency check.
"""

from __future__ import annotations

import json
import logging
import os
import random
import shutil
import sqlite3
import subprocess
import sys
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from string import Template
from typing import Any
from urllib.parse import urlsplit

from arabpress_crawler import db as db_api
from arabpress_mirror.layout import DEMO_SITE_DIR

logger = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
PAGES_DIR = HERE / "pages"
CLI_RUNNER = HERE / "cli_runner.py"
ARABPRESS = Path(sys.executable).with_name("arabpress")
OVERRIDES_ENV = "ARABPRESS_RELIABILITY_OVERRIDES"
ORIGIN = "https://arab.press"
#: The day under which the suite's own article pages live (WordPress date permalinks).
CASE_DAY = "/2025/06/30/"
CASE_PUBLISHED = "2025-06-30T08:00:00+00:00"
#: A child crawl that runs longer than this is stuck: the test fails instead of hanging CI.
CLI_TIMEOUT_SECONDS = 120
TRACEBACK_MARKER = "Traceback (most recent call last)"
WORDS_PER_PARAGRAPH = 24
PARAGRAPHS_PER_PAGE = 4

#: Words for the unique text of generated pages (seeded by the page's slug: deterministic).
ENGLISH_WORDS = (
    "harbour council budget river schools museum festival railway orchard clinic desert market village "
    "engineers farmers library bridge tunnel season rainfall exports students theatre archive coastline "
    "ministry vaccine airport stadium orchestra bakery fishermen pipeline observatory vineyard caravan "
    "lighthouse glacier quarry textile pottery embassy parliament courthouse ferry harvest reservoir"
).split()
#: Arabic words written with letters that windows-1256 and ISO-8859-6 both have.
ARABIC_WORDS = (
    "مدينة سوق نهر مدرسة متحف مهرجان قطار حديقة طبيب صحراء قرية مهندس مزارع مكتبة جسر موسم مطر طالب "
    "مسرح ميناء وزارة مطار ملعب خبز صياد شاطئ بحر جبل سهل واد نخيل تمر قهوة شاي كتاب قلم رسالة بيت "
    "باب نافذة طريق سيارة حافلة سفينة طائرة ضوء شمس قمر نجم سحاب ريح ثلج برد حر ربيع صيف خريف شتاء"
).split()


# -- pages ------------------------------------------------------------------------------------------------


def case_path(slug: str) -> str:
    """The URL path of a case page: a date permalink under :data:`CASE_DAY`."""
    return f"{CASE_DAY}{slug}/"


def page_file(name: str) -> bytes:
    """The bytes of a hand-made page under ``tests/reliability/pages/``."""
    return (PAGES_DIR / name).read_bytes()


def unique_paragraphs(seed: str, *, lang: str = "en", count: int = PARAGRAPHS_PER_PAGE) -> list[str]:
    """``count`` paragraphs of text no other page has (seeded by ``seed``, so always the same)."""
    rng = random.Random(seed)
    words = ARABIC_WORDS if lang == "ar" else ENGLISH_WORDS
    paragraphs = []
    for index in range(count):
        chosen = [rng.choice(words) for _ in range(WORDS_PER_PARAGRAPH)]
        paragraphs.append(f"{seed} {index + 1}: " + " ".join(chosen) + ".")
    return paragraphs


@dataclass(frozen=True)
class Article:
    """A generated, well-formed article page of the suite (the "good page" of a case, or its base)."""

    slug: str
    title: str
    lang: str = "en"
    published: str = CASE_PUBLISHED
    section: str = "World"
    related: tuple[str, ...] = ()  # hrefs, written as they are
    body_html: str | None = None  # the body's markup (default: paragraphs of unique text)

    @property
    def path(self) -> str:
        return case_path(self.slug)

    @cached_property
    def paragraphs(self) -> list[str]:
        return unique_paragraphs(self.slug, lang=self.lang)

    def render(self) -> str:
        template = Template((PAGES_DIR / "article.html.tmpl").read_text(encoding="utf-8"))
        body = self.body_html if self.body_html is not None else "\n".join(f"<p>{p}</p>" for p in self.paragraphs)
        related = "\n".join(
            f'<li class="related-post"><a href="{href}">Related story {n}</a></li>'
            for n, href in enumerate(self.related, start=1)
        )
        return template.substitute(
            lang=self.lang,
            dir="rtl" if self.lang == "ar" else "ltr",
            title=self.title,
            path=self.path,
            published=self.published,
            section=self.section,
            postid=sum(map(ord, self.slug)),
            body=body,
            related=related,
        )

    def html(self) -> bytes:
        return self.render().encode("utf-8")


# -- mirror sites -------------------------------------------------------------------------------------------


def build_site(
    root: Path,
    pages: dict[str, bytes] | None = None,
    *,
    links: list[str] | tuple[str, ...] = (),
    robots: bytes | None = None,
) -> Path:
    """A copy of the demo mirror at ``root`` with ``pages`` (URL path → bytes) and ``links`` on the homepage.

    ``links`` are hrefs written as given (use ``https://arab.press/...`` for pages of the mirror: the server
    rewrites that origin to its own). ``robots`` replaces ``robots.txt``.
    """
    shutil.copytree(DEMO_SITE_DIR, root)
    for path, body in (pages or {}).items():
        target = root / path.strip("/") / "index.html" if path.endswith("/") else root / path.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(body)
    if links:
        home = root / "index.html"
        items = "".join(f'<li><a href="{href}">case link</a></li>\n' for href in links)
        html = home.read_text(encoding="utf-8")
        home.write_text(html.replace("</main>", f'<ul class="reliability-cases">\n{items}</ul>\n</main>', 1), "utf-8")
    if robots is not None:
        (root / "robots.txt").write_bytes(robots)
    return root


def site_link(path: str) -> str:
    """An href to ``path`` on the mirror, in the public origin the server rewrites."""
    return ORIGIN + path


# -- running the command line ---------------------------------------------------------------------------------


@dataclass
class CliResult:
    args: list[str]
    returncode: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


def run_cli(
    args: list[str],
    *,
    overrides: dict[str, Any] | None = None,
    cwd: Path | None = None,
    timeout: float = CLI_TIMEOUT_SECONDS,
) -> CliResult:
    """Run ``arabpress ARGS`` in a child process (through :mod:`cli_runner` when there are overrides)."""
    env = dict(os.environ)
    env.pop(OVERRIDES_ENV, None)
    env["PYTHONHASHSEED"] = "0"
    for name in ("ARABPRESS_BASE_URL", "ARABPRESS_DB", "ARABPRESS_PROFILE"):
        env.pop(name, None)
    if overrides:
        env[OVERRIDES_ENV] = json.dumps(overrides)
        command = [sys.executable, str(CLI_RUNNER), *args]
    else:
        command = [str(ARABPRESS), *args]
    completed = subprocess.run(
        command, capture_output=True, text=True, env=env, cwd=cwd, timeout=timeout, stdin=subprocess.DEVNULL
    )
    return CliResult(args, completed.returncode, completed.stdout, completed.stderr)


def crawl_args(base_url: str, db: Path, log_file: Path, *extra: str) -> list[str]:
    return ["crawl", "--base-url", base_url, "--mirror-profile", "--db", str(db), "--log-file", str(log_file),
            "--quiet", *extra]  # fmt: skip


@dataclass
class CrawlResult:
    """What one ``arabpress crawl`` left behind."""

    cli: CliResult
    db_path: Path
    log_path: Path
    base_url: str
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def returncode(self) -> int:
        return self.cli.returncode

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(f"{self.db_path.resolve().as_uri()}?mode=ro", uri=True)
        conn.row_factory = sqlite3.Row
        return conn

    def runs(self) -> list[dict[str, Any]]:
        """Every run record, oldest first, with its JSON columns decoded."""
        with self._connect() as conn:
            rows = [dict(row) for row in conn.execute("SELECT * FROM crawl_runs ORDER BY id")]
        for row in rows:
            for name in ("dropped_by_reason", "errors_by_kind", "coverage", "extraction_layers", "stats"):
                row[name] = json.loads(row.get(name) or "{}")
        return rows

    @property
    def run(self) -> dict[str, Any]:
        """The last run record."""
        runs = self.runs()
        assert runs, f"no run record in {self.db_path}"
        return runs[-1]

    def articles(self) -> dict[str, dict[str, Any]]:
        """URL path → stored article row."""
        with self._connect() as conn:
            return {urlsplit(row["url"]).path: dict(row) for row in conn.execute("SELECT * FROM articles")}

    def rows(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with self._connect() as conn:
            return [tuple(row) for row in conn.execute(sql, params)]

    def consistency_problems(self) -> list[str]:
        db = db_api.open_db(self.db_path, create=False)
        try:
            return db_api.check_consistency(db, deep=True)
        finally:
            db.close()

    @property
    def log(self) -> str:
        """The crawl's log (rotated files included, oldest first)."""
        parts = sorted(self.log_path.parent.glob(self.log_path.name + ".*"), reverse=True) + [self.log_path]
        return "".join(part.read_text(encoding="utf-8", errors="replace") for part in parts if part.exists())

    def count(self, key: str) -> int:
        """A count of the last run record: a dropped-by-reason, an errors-by-kind or a stats key."""
        run = self.run
        for table in (run["dropped_by_reason"], run["errors_by_kind"], run["stats"]):
            if key in table:
                return int(table[key])
        return 0


def crawl(
    base_url: str,
    workdir: Path,
    *,
    name: str = "crawl",
    db: Path | None = None,
    extra_args: tuple[str, ...] = (),
    overrides: dict[str, Any] | None = None,
    timeout: float = CLI_TIMEOUT_SECONDS,
) -> CrawlResult:
    """Crawl ``base_url`` with ``arabpress crawl --mirror-profile`` into ``workdir/<name>.db``."""
    workdir.mkdir(parents=True, exist_ok=True)
    db = db or workdir / f"{name}.db"
    log_path = workdir / f"{name}.log"
    cli = run_cli(crawl_args(base_url, db, log_path, *extra_args), overrides=overrides, cwd=workdir, timeout=timeout)
    logger.info("crawl %s of %s: exit %d", name, base_url, cli.returncode)
    return CrawlResult(cli, db, log_path, base_url)


# -- assertions -------------------------------------------------------------------------------------------------


def assert_no_traceback(*texts: str) -> None:
    for text in texts:
        assert TRACEBACK_MARKER not in text, f"a traceback reached the terminal:\n{text[-3000:]}"


def assert_one_line_error(cli: CliResult, *fragments: str) -> None:
    """A user error: non-zero exit, no traceback, one ``Error:``/``error:`` line naming ``fragments``."""
    assert cli.returncode != 0, f"expected a failure, got exit 0: {cli.output[-2000:]}"
    assert_no_traceback(cli.stdout, cli.stderr)
    errors = [line for line in cli.stderr.splitlines() if line.lower().startswith("error")]
    assert len(errors) == 1, f"expected one error line on stderr, got:\n{cli.stderr[-2000:]}"
    for fragment in fragments:
        assert fragment.lower() in errors[0].lower(), f"{fragment!r} not in the error line {errors[0]!r}"


def assert_finished(result: CrawlResult) -> None:
    """Exit 0, no traceback, the run record closed as ``finished``."""
    assert_no_traceback(result.cli.stdout, result.cli.stderr)
    assert result.returncode == 0, f"crawl exited {result.returncode}:\n{result.cli.output[-3000:]}"
    run = result.run
    assert run["status"] == db_api.RUN_FINISHED, f"run ended {run['status']} ({run['finish_reason']})"
    assert run["finished_at"], "the run record was not closed"


def assert_consistent(result: CrawlResult) -> None:
    problems = result.consistency_problems()
    assert not problems, f"database {result.db_path} is inconsistent: {problems}"


def assert_stored(result: CrawlResult, paths: set[str] | list[str]) -> None:
    """Every path in ``paths`` is a stored article (the good pages around a bad one)."""
    stored = set(result.articles())
    missing = sorted(set(paths) - stored)
    assert not missing, f"{len(missing)} good pages lost: {missing[:10]}"


def assert_not_stored(result: CrawlResult, path: str) -> None:
    articles = result.articles()
    assert path not in articles, f"the bad page {path} was stored: {articles[path].get('title')!r}"
    aliases = {urlsplit(row[0]).path for row in result.rows("SELECT alias_url FROM url_aliases")}
    assert path not in aliases, f"the bad page {path} was stored as an alias"


def log_mentions(result: CrawlResult, path: str) -> list[str]:
    """Lines of the crawl's log about ``path`` (every log message about a page names its URL)."""
    return [line for line in result.log.splitlines() if path in line]
