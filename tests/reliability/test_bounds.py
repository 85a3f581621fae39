"""Bounds and policy (issue 12, items 2, 7, 8 and 3's signals): no site can hold a crawl forever, redirects stay
on the site's origin, robots.txt that cannot be read means "disallow all", feeds and sitemaps never expand
entities, exports write through special files, and a signal stops a crawl within seconds.

The endless site (:mod:`.hostile_site`) makes up a new page for every link it serves: related links to
never-seen stories, ``?page=N`` variants of the same story, a chain of sitemap indexes without end. A crawl of
it must stop at its caps with exit 0 and say which cap it hit.
"""

from __future__ import annotations

import json
import os
import re
import signal
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from scrapy.settings import Settings

from arabpress_crawler import db as db_api
from arabpress_crawler.spiders.limits import CrawlLimits
from arabpress_mirror.server import MirrorServer

from . import harness
from .harness import Article, case_path
from .hostile_site import STORY_PREFIX, EndlessSite

CATEGORY = "bounds"

PAGE_CAP = 30
VARIANT_CAP = 2
SITEMAP_DEPTH = 3
RELATED_CAP = 5
TIME_BUDGET_SECONDS = 2


def crawl_with_summary(base_url: str, workdir: Path, settings: dict[str, object]) -> harness.CrawlResult:
    """``arabpress crawl`` without ``--quiet`` (the summary is what is checked), with ``settings`` overridden."""
    workdir.mkdir(parents=True, exist_ok=True)
    db, log = workdir / "crawl.db", workdir / "crawl.log"
    args = ["crawl", "--base-url", base_url, "--mirror-profile", "--db", str(db), "--log-file", str(log)]
    cli = harness.run_cli(args, overrides={"settings": settings}, cwd=workdir)
    return harness.CrawlResult(cli, db, log, base_url)


def test_default_caps_are_finite() -> None:
    """Every cap has a finite default sized for a news site, the time budget included (Scrapy's
    ``CLOSESPIDER_TIMEOUT``), so a crawl is bounded without any option."""
    settings = Settings()
    settings.setmodule("arabpress_crawler.settings")
    limits = CrawlLimits.from_settings(settings)
    assert limits == CrawlLimits()
    assert 1_000 <= limits.max_pages <= 100_000
    assert limits.max_url_length <= settings.getint("URLLENGTH_LIMIT")
    assert 0 < settings.getint("CLOSESPIDER_TIMEOUT") == limits.max_run_seconds <= 24 * 3600
    assert limits.sitemap_max_depth <= 5 and limits.max_query_variants <= 10 and limits.max_related_links <= 1_000


def test_endless_site_stops_at_its_caps(tmp_path: Path) -> None:
    """A site of ever-new related stories, ever-new ``?page=N`` variants and an endless chain of sitemap
    indexes: the crawl stops at its caps (pages, query variants, sitemap depth, related links read) with exit 0,
    a finished run record, and a summary line per cap ("stopped at the page cap: 30; …")."""
    settings = {"ARABPRESS_MAX_PAGES": PAGE_CAP, "ARABPRESS_MAX_QUERY_VARIANTS": VARIANT_CAP,
                "ARABPRESS_SITEMAP_MAX_DEPTH": SITEMAP_DEPTH, "ARABPRESS_MAX_RELATED_LINKS": RELATED_CAP}  # fmt: skip
    with EndlessSite() as site:
        result = crawl_with_summary(site.base_url, tmp_path, settings)
        requested = dict(site.requests)
    harness.assert_finished(result)
    harness.assert_consistent(result)
    stories = [path for path in requested if path.startswith(STORY_PREFIX)]
    assert PAGE_CAP // 2 <= len(stories) <= PAGE_CAP, f"{len(stories)} article pages requested"
    first = f"{STORY_PREFIX}1/"
    variants = [path for path in stories if path.startswith(first + "?")]
    assert 1 <= len(variants) <= VARIANT_CAP, f"query variants of {first} requested: {variants}"
    indexes = [path for path in requested if path.startswith("/sitemap-index-")]
    assert len(indexes) == SITEMAP_DEPTH, f"sitemap indexes read: {sorted(indexes)}"
    for cap in ("pages", "query_variants", "sitemap_depth", "related_links"):
        assert result.count(f"arabpress/capped/{cap}") >= 1, f"the {cap} cap is not counted in the run record"
    assert f"stopped at the page cap: {PAGE_CAP}; the rest is kept for the next run" in result.cli.stdout
    assert "sitemaps nested deeper than 3 levels not read" in result.cli.stdout


def test_endless_site_stops_at_the_time_budget(tmp_path: Path) -> None:
    """The same endless site answering slowly, with the page cap out of reach: the run ends on its time budget
    (2 s here) with exit 0, a finished run record and the summary line "stopped at the time budget"."""
    settings = {"CLOSESPIDER_TIMEOUT": TIME_BUDGET_SECONDS, "ARABPRESS_MAX_PAGES": 1_000_000}
    with EndlessSite(delay=0.2) as site:
        result = crawl_with_summary(site.base_url, tmp_path, settings)
    harness.assert_finished(result)
    assert result.run["finish_reason"] == "closespider_timeout"
    assert result.run["status"] == db_api.RUN_FINISHED
    assert "stopped at the time budget: 0:00:02; the rest is kept for the next run" in result.cli.stdout


# -- policy: redirects, robots.txt, XML entities ----------------------------------------------------------------

REDIRECTED = case_path("redirected-to-another-port")
#: Short timeouts and few retries: the robots.txt cases wait for every attempt to fail.
POLICY_SETTINGS = {"DOWNLOAD_TIMEOUT": 1, "RETRY_TIMES": 1}


def test_redirect_to_another_port_is_not_followed(tmp_path: Path, baseline_paths: set[str]) -> None:
    """An article link that redirects to another port of the same host (a server with the same layout): the
    redirect is not followed (the other server is never asked), nothing is stored under the site's URL, the
    refusal is counted (``arabpress/errors/offsite_redirect``), and the rest of the site is stored."""
    elsewhere_article = Article(slug="redirected-to-another-port", title="Content from another origin entirely")
    other_root = harness.build_site(tmp_path / "other", {REDIRECTED: elsewhere_article.html()})
    root = harness.build_site(tmp_path / "site", links=[harness.site_link(REDIRECTED)])
    with MirrorServer(other_root) as other, MirrorServer(root) as server:
        server.set_fault(REDIRECTED, "redirect", target=other.url(REDIRECTED), code=302)
        result = harness.crawl(server.base_url, tmp_path / "crawl")
        asked_elsewhere = other.requests.total()
    harness.assert_finished(result)
    harness.assert_consistent(result)
    assert asked_elsewhere == 0, "the redirect to another port was followed"
    harness.assert_not_stored(result, REDIRECTED)
    titles = [row[0] for row in result.rows("SELECT title FROM articles")]
    assert elsewhere_article.title not in titles
    assert result.count("arabpress/errors/offsite_redirect") == 1
    harness.assert_stored(result, baseline_paths)


@pytest.mark.parametrize(
    ("fault", "options"),
    [("503", {"retry_after": 0}), ("stall", {})],
    ids=["robots-503", "robots-timeout"],
)
def test_unreadable_robots_txt_means_disallow_all(fault: str, options: dict[str, object], tmp_path: Path) -> None:
    """robots.txt answers 503 on every attempt, or never answers (RFC 9309 §2.3.1.3: assume complete disallow):
    no other page of the site is requested, nothing is stored, and it is said once on stderr (a non-zero exit:
    the run did nothing)."""
    root = harness.build_site(tmp_path / "site")
    with MirrorServer(root) as server:
        server.set_fault("/robots.txt", fault, **options)
        result = harness.crawl(server.base_url, tmp_path / "crawl", overrides={"settings": POLICY_SETTINGS})
        requested = set(server.requests)
    harness.assert_no_traceback(result.cli.stdout, result.cli.stderr)
    assert requested == {"/robots.txt"}, f"pages requested despite an unreadable robots.txt: {sorted(requested)}"
    assert not result.articles()
    lines = [line for line in result.cli.stderr.splitlines() if "robots.txt" in line]
    assert len(lines) == 1, f"expected robots.txt named once on stderr, got:\n{result.cli.stderr}"
    assert result.returncode != 0
    assert result.count("arabpress/errors/robots_unreachable") == 1


BILLION_LAUGHS_DTD = "<!DOCTYPE rss [\n<!ENTITY lol \"lol\">\n" + "".join(
    f'<!ENTITY lol{n} "{("&lol" + str(n - 1) + ";") * 10 if n > 1 else "&lol;" * 10}">\n' for n in range(1, 10)
) + "]>\n"
FEED_ONLY = tuple(Article(slug=f"feed-only-{n}", title=f"A story listed only in the feed, number {n}") for n in (1, 2, 3))


def billion_laughs_feed() -> bytes:
    """An RSS feed with a billion-laughs DTD and its entity in the second of three items."""
    items = []
    for n, article in enumerate(FEED_ONLY, start=1):
        title = "&lol9;" if n == 2 else article.title
        items.append(f"<item><title>{title}</title><link>{harness.site_link(article.path)}</link>"
                     f"<pubDate>Mon, 30 Jun 2025 08:00:00 +0000</pubDate></item>")  # fmt: skip
    return ('<?xml version="1.0" encoding="UTF-8"?>\n' + BILLION_LAUGHS_DTD
            + "<rss version=\"2.0\"><channel><title>Arab Press</title>" + "".join(items)
            + "</channel></rss>").encode()  # fmt: skip


def test_billion_laughs_feed_keeps_every_entry(tmp_path: Path) -> None:
    """A feed with a billion-laughs DTD (entities expanding exponentially) used in its second item: parsed
    without the DTD, so no entity is expanded and the items after it are not lost; every article listed only
    in the feed is stored, and the DTD is counted as a failure (``arabpress/errors/xml_dtd``)."""
    pages = {article.path: article.html() for article in FEED_ONLY}
    pages["/feed/index.rss"] = billion_laughs_feed()
    root = harness.build_site(tmp_path / "site", pages)
    with MirrorServer(root) as server:
        result = harness.crawl(server.base_url, tmp_path / "crawl")
    harness.assert_finished(result)
    harness.assert_consistent(result)
    harness.assert_stored(result, [article.path for article in FEED_ONLY])
    assert result.count("arabpress/errors/xml_dtd") == 1


# -- exports: special files, symlinks, killed exports -----------------------------------------------------------

#: A child process that exports and, after the first rows, waits to be killed (it writes ``marker`` first).
KILLED_EXPORT = """
import sys, time
from pathlib import Path
from arabpress_crawler import exporting
from arabpress_crawler.cli import cli
marker = Path(sys.argv[1])
original = exporting.iter_rows
def slow_rows(db, query):
    for number, row in enumerate(original(db, query)):
        yield row
        if number == 2:
            marker.write_text("writing")
            time.sleep(600)
exporting.iter_rows = slow_rows
cli(args=sys.argv[2:], prog_name="arabpress")
"""


def export_args(db: Path, output: Path | str) -> list[str]:
    return ["export", "--db", str(db), "--format", "jsonl", "--output", str(output)]


def test_export_follows_symlinks_and_writes_through_special_files(
    baseline: harness.CrawlResult, tmp_path: Path
) -> None:
    """``--output`` a symlink to a file: the file gets the export and the link stays a link. A symlink to
    ``/dev/null`` (a device): written through, the device never replaced. A FIFO: the reader gets every row
    and the FIFO is still a FIFO."""
    db = baseline.db_path
    rows = baseline.rows("SELECT count(*) FROM articles WHERE duplicate_of IS NULL")[0][0]  # what export gives
    real = tmp_path / "real.jsonl"
    real.write_text("old\n", encoding="utf-8")
    link = tmp_path / "link.jsonl"
    link.symlink_to(real)
    assert harness.run_cli(export_args(db, link)).returncode == 0
    assert link.is_symlink() and link.resolve() == real
    assert len(real.read_text(encoding="utf-8").splitlines()) == rows

    null_link = tmp_path / "to-null.jsonl"
    null_link.symlink_to(os.devnull)
    assert harness.run_cli(export_args(db, null_link)).returncode == 0
    assert null_link.is_symlink() and null_link.resolve() == Path(os.devnull)
    assert stat.S_ISCHR(Path(os.devnull).stat().st_mode)

    fifo = tmp_path / "pipe.jsonl"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()), daemon=True)
    reader.start()
    cli = harness.run_cli(export_args(db, fifo))
    reader.join(timeout=harness.CLI_TIMEOUT_SECONDS)
    assert cli.returncode == 0, cli.output
    assert stat.S_ISFIFO(fifo.lstat().st_mode), "the FIFO was replaced"
    assert received and len(received[0].decode("utf-8").splitlines()) == rows
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link.jsonl", "pipe.jsonl", "real.jsonl", "to-null.jsonl"]


@pytest.mark.parametrize("signum", [signal.SIGKILL, signal.SIGTERM], ids=["sigkill", "sigterm"])
def test_killed_export_leaves_no_temporary_file(signum: int, baseline: harness.CrawlResult, tmp_path: Path) -> None:
    """An export killed mid-write (SIGKILL, SIGTERM) over an earlier export: no hidden temporary file is left
    in the folder, and the earlier export is intact."""
    out = tmp_path / "out"
    out.mkdir()
    target = out / "articles.jsonl"
    target.write_text("earlier export\n", encoding="utf-8")
    marker = tmp_path / "marker"
    child = subprocess.Popen([sys.executable, "-c", KILLED_EXPORT, str(marker), *export_args(baseline.db_path, target)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)  # fmt: skip
    try:
        deadline = time.monotonic() + harness.CLI_TIMEOUT_SECONDS
        while not marker.exists() and child.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert marker.exists(), f"the export never started writing: {child.communicate()}"
    finally:
        child.send_signal(signum)
        child.communicate(timeout=harness.CLI_TIMEOUT_SECONDS)
    assert sorted(p.name for p in out.iterdir()) == ["articles.jsonl"], "a temporary file was left behind"
    assert target.read_text(encoding="utf-8") == "earlier export\n"


# -- signals ---------------------------------------------------------------------------------------------------

#: Stalled pages hold their downloads open far longer than the test waits: only the signal can end the crawl.
STALLED = tuple(case_path(f"stalled-for-good-{n}") for n in (1, 2, 3))
SIGNAL_SETTINGS = {"DOWNLOAD_TIMEOUT": 900, "CLOSESPIDER_TIMEOUT": 0}
#: How long a signalled crawl may take to end in the test (a bound on the test, not a timing measurement).
SIGNAL_GRACE_SECONDS = 30


def signalled_crawl(server: MirrorServer, db: Path, signum: int, *, wait_for: tuple[str, ...],
                    logged: str | None = None, settle: float = 0.0, writer: str | None = None,
                    settings: dict[str, object] | None = None,
                    grace: float = SIGNAL_GRACE_SECONDS) -> harness.CrawlResult:
    """A crawl of ``server`` (downloads may stall for 15 minutes) that gets ``signum`` once every path of
    ``wait_for`` was asked for and its log names ``logged`` (plus ``settle`` seconds); it must end by itself
    within the test's bound."""
    overrides = {"settings": {**SIGNAL_SETTINGS, **(settings or {})}}
    env = dict(os.environ, ARABPRESS_RELIABILITY_OVERRIDES=json.dumps(overrides))
    if writer is not None:
        env["ARABPRESS_WRITER"] = writer
    args = harness.crawl_args(server.base_url, db, db.with_suffix(".log"))
    child = subprocess.Popen([sys.executable, str(harness.CLI_RUNNER), *args], env=env, cwd=db.parent,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)  # fmt: skip
    try:
        deadline = time.monotonic() + harness.CLI_TIMEOUT_SECONDS

        def ready() -> bool:
            if not all(server.request_count(path) for path in wait_for):
                return False
            log = db.with_suffix(".log")
            return logged is None or (log.exists() and logged in log.read_text(encoding="utf-8", errors="replace"))

        while not ready() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert ready(), f"the crawl never asked for every page of {wait_for} (or never logged {logged})"
        time.sleep(settle)
        child.send_signal(signum)
        try:
            stdout, stderr = child.communicate(timeout=grace)
        except subprocess.TimeoutExpired:
            child.kill()
            child.communicate()
            pytest.fail(f"the crawl was still running {grace} s after the signal")
    finally:
        if child.poll() is None:
            child.kill()
            child.communicate()
    return harness.CrawlResult(harness.CliResult(args, child.returncode, stdout.decode(), stderr.decode()),
                               db, db.with_suffix(".log"), server.base_url)  # fmt: skip


def assert_interrupted(result: harness.CrawlResult) -> None:
    """No traceback, a consistent database, the run recorded as interrupted with what it stored."""
    harness.assert_no_traceback(result.cli.stdout, result.cli.stderr)
    harness.assert_consistent(result)
    assert result.run["status"] == db_api.RUN_INTERRUPTED
    assert result.run["articles_new"] == len(result.articles())


def stalled_pages() -> dict[str, bytes]:
    return {path: Article(slug=path.strip("/").rsplit("/", 1)[-1], title=f"A story that never loads {path}").html()
            for path in STALLED}  # fmt: skip


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["sigint", "sigterm"])
def test_signal_stops_a_crawl_held_by_stalled_pages(signum: int, tmp_path: Path) -> None:
    """A crawl whose last pages never answer (download timeout 15 minutes) gets SIGINT or SIGTERM once: it ends
    by itself well within the test's bound, the run is recorded as interrupted with what it stored, and the
    database is consistent."""
    pages = stalled_pages()
    root = harness.build_site(tmp_path / "site", pages, links=[harness.site_link(path) for path in STALLED])
    db = tmp_path / "crawl" / "crawl.db"
    db.parent.mkdir()
    with MirrorServer(root) as server:
        for path in STALLED:
            server.set_fault(path, "stall")
        result = signalled_crawl(server, db, signum, wait_for=STALLED)
    assert_interrupted(result)


#: An article in markup no profile knows whose "Related Articles" list holds 100,000 links (some 10 MB, inside
#: the download size limit): the slowest page to read the suite knows (seconds, in the reactor's thread).
HUGE_PAGE = case_path("a-page-with-a-huge-related-list")
HUGE_PAGE_LINKS = 100_000
#: The reactor acts on a signal once the page it is reading is read (Python runs the handler at once, but it
#: only schedules the stop): the bound is that page's reading time (seconds; ``bench/big_page.py``) plus the
#: stop's, generous for a loaded machine.
HUGE_PAGE_GRACE_SECONDS = 90
WRITER_STARTED = re.compile(r"Writer process (\d+) started")


def huge_related_page(links: int) -> bytes:
    paragraph = "<p>" + " ".join(harness.unique_paragraphs("huge-related-page", count=1)) + "</p>"
    items = "".join(f'<li><a href="https://elsewhere.example/2024/01/01/story-{n}/">Story number {n} of the'
                    f" list</a></li>" for n in range(links))  # fmt: skip
    return ('<html lang="en"><head><title>A page with a huge related list</title></head><body><main><article>'
            f"<h1>A page with a huge related list</h1>{paragraph * 4}<h2>Related Articles</h2><ul>{items}</ul>"
            "</article></main></body></html>").encode()  # fmt: skip


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["sigint", "sigterm"])
def test_signal_stops_a_crawl_with_the_writer_process_while_a_huge_page_is_read(signum: int, tmp_path: Path) -> None:
    """With the writer process (`ARABPRESS_WRITER=process`, the default), a crawl with pages that never answer
    gets SIGINT or SIGTERM just after a 10 MB page with 100,000 related links was downloaded (while it is
    read): the crawl and its writer process end by themselves within the test's bound, the run is recorded as
    interrupted with what it stored, the page is stored or kept for the next run, and the database is
    consistent."""
    pages = {**stalled_pages(), HUGE_PAGE: huge_related_page(HUGE_PAGE_LINKS)}
    root = harness.build_site(tmp_path / "site", pages, links=[harness.site_link(path) for path in pages])
    db = tmp_path / "crawl" / "crawl.db"
    db.parent.mkdir()
    with MirrorServer(root) as server:
        for path in STALLED:
            server.set_fault(path, "stall")
        result = signalled_crawl(server, db, signum, wait_for=(*STALLED, HUGE_PAGE), logged=HUGE_PAGE, settle=0.3,
                                 writer="process", grace=HUGE_PAGE_GRACE_SECONDS)  # fmt: skip
    writers = WRITER_STARTED.findall(result.log)
    assert len(writers) == 1, "the crawl did not store through a writer process"
    assert not Path(f"/proc/{writers[0]}").exists() or process_is_zombie(int(writers[0])), "the writer outlived the crawl"
    assert_interrupted(result)
    kept = {urlsplit(row[0]).path for row in result.rows("SELECT url FROM frontier WHERE given_up_at IS NULL")}
    assert HUGE_PAGE in set(result.articles()) | kept, "the huge page was neither stored nor kept"


def process_is_zombie(pid: int) -> bool:
    """Whether ``pid`` has ended but not been reaped (its parent is gone: init reaps it)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1].startswith("Z")
    except (OSError, IndexError):
        return True


LATE_PAGES = tuple(Article(slug=f"answered-after-the-stop-{n}", title=f"A story answered after the stop {n}")
                   for n in (1, 2, 3))  # fmt: skip
#: Longer than the crawl takes to get the signal once the late pages are asked for, shorter than the grace.
LATE_ANSWER_SECONDS = 1.5
LATE_SETTINGS = {"ARABPRESS_STOP_GRACE_SECONDS": 10}


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["sigint", "sigterm"])
def test_pages_answered_after_a_stop_are_kept_for_the_next_run(signum: int, tmp_path: Path) -> None:
    """Pages that answer after SIGINT/SIGTERM (within the stop's grace for downloads in flight) are not read:
    reading each could take seconds (a 10 MB page), so a stop would wait for all of them. They are counted as
    cancelled and kept in the frontier; the next run stores them."""
    pages = {article.path: article.html() for article in LATE_PAGES}
    root = harness.build_site(tmp_path / "site", pages, links=[harness.site_link(path) for path in pages])
    db = tmp_path / "crawl" / "crawl.db"
    db.parent.mkdir()
    with MirrorServer(root) as server:
        for path in pages:
            server.set_fault(path, "slow", seconds=LATE_ANSWER_SECONDS)
        result = signalled_crawl(server, db, signum, wait_for=tuple(pages), settings=LATE_SETTINGS)
        assert_interrupted(result)
        late = set(result.articles()) & set(pages)
        assert not late, f"pages answered after the stop were read: {sorted(late)}"
        kept = {urlsplit(row[0]).path for row in result.rows("SELECT url FROM frontier WHERE given_up_at IS NULL")}
        assert set(pages) <= kept, f"pages cut by the stop are not kept for the next run: {sorted(set(pages) - kept)}"
        server.clear_faults()
        following = harness.crawl(server.base_url, db.parent, db=db, name="crawl")
    harness.assert_finished(following)
    harness.assert_stored(following, set(pages))
