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
import signal
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

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


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["sigint", "sigterm"])
def test_signal_stops_a_crawl_held_by_stalled_pages(signum: int, tmp_path: Path) -> None:
    """A crawl whose last pages never answer (download timeout 15 minutes) gets SIGINT or SIGTERM once: it ends
    by itself well within the test's bound, the run is recorded as interrupted with what it stored, and the
    database is consistent."""
    pages = {path: Article(slug=path.strip("/").rsplit("/", 1)[-1], title=f"A story that never loads {path}").html()
             for path in STALLED}  # fmt: skip
    root = harness.build_site(tmp_path / "site", pages, links=[harness.site_link(path) for path in STALLED])
    db = tmp_path / "crawl" / "crawl.db"
    db.parent.mkdir()
    with MirrorServer(root) as server:
        for path in STALLED:
            server.set_fault(path, "stall")
        env = dict(os.environ, ARABPRESS_RELIABILITY_OVERRIDES=json.dumps({"settings": SIGNAL_SETTINGS}))
        args = harness.crawl_args(server.base_url, db, db.with_suffix(".log"))
        child = subprocess.Popen([sys.executable, str(harness.CLI_RUNNER), *args], env=env, cwd=db.parent,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)  # fmt: skip
        try:
            deadline = time.monotonic() + harness.CLI_TIMEOUT_SECONDS
            while not all(server.request_count(path) for path in STALLED) and time.monotonic() < deadline:
                time.sleep(0.05)
            assert all(server.request_count(path) for path in STALLED), "the stalled pages were never asked for"
            child.send_signal(signum)
            try:
                stdout, stderr = child.communicate(timeout=SIGNAL_GRACE_SECONDS)
            except subprocess.TimeoutExpired:
                child.kill()
                child.communicate()
                pytest.fail(f"the crawl was still running {SIGNAL_GRACE_SECONDS} s after the signal")
        finally:
            if child.poll() is None:
                child.kill()
                child.communicate()
    result = harness.CrawlResult(harness.CliResult(args, child.returncode, stdout.decode(), stderr.decode()),
                                 db, db.with_suffix(".log"), server.base_url)  # fmt: skip
    harness.assert_no_traceback(result.cli.stdout, result.cli.stderr)
    harness.assert_consistent(result)
    assert result.run["status"] == db_api.RUN_INTERRUPTED
    assert result.run["articles_new"] == len(result.articles())
