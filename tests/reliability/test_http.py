"""HTTP faults (issue 6, list 2): redirects, error statuses, Retry-After, resets, stalls and robots.txt.

The status, redirect and retry cases share one crawl of the demo mirror with a page of the suite per case,
linked from the homepage, and the mirror server's fault switch on that page. The crawl runs with a 2 s
download timeout, eight requests at a time (so a busy machine does not time out good pages), two retries
and a 1.5 s cap on any wait, so the whole group takes seconds. Each
robots.txt case has its own crawl (a site has one robots.txt).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from arabpress_mirror.server import MirrorServer

from . import harness
from .harness import Article, case_path

CATEGORY = "http"

RETRY_TIMES = 2
ATTEMPTS = RETRY_TIMES + 1
MAX_WAIT_SECONDS = 1.5
DOWNLOAD_TIMEOUT_SECONDS = 2
CONCURRENCY = 8
RETRY_AFTER_SECONDS = 1
REDIRECT_MAX_TIMES = 5
#: Twisted's connection pool retries a request once by itself when a reused keep-alive connection fails
#: before any answer, so one attempt of Scrapy's may reach the server twice.
CONNECTION_TRIES = 2
HTTP_SETTINGS = {
    "RETRY_TIMES": RETRY_TIMES,
    "DOWNLOAD_TIMEOUT": DOWNLOAD_TIMEOUT_SECONDS,
    "CONCURRENT_REQUESTS": CONCURRENCY,
    "CONCURRENT_REQUESTS_PER_DOMAIN": CONCURRENCY,
    "ARABPRESS_RETRY_BACKOFF": 0.0,
    "ARABPRESS_RETRY_MAX_WAIT": MAX_WAIT_SECONDS,
    "REDIRECT_MAX_TIMES": REDIRECT_MAX_TIMES,
}
DOWNLOAD_ERRORS = "downloader/exception_type_count/"
STATUS = "downloader/response_status_count/"

STORED = "stored"
REFUSED = "refused"


@dataclass(frozen=True)
class HttpCase:
    name: str
    description: str
    expect: str
    fault: tuple[str, dict[str, Any]] | None
    reasons: tuple[str, ...] = ()  # run-record keys (or prefixes ending in "/") that must count it
    requests: int | None = None  # exact number of requests the server must see for the case's path
    max_requests: int | None = None
    log_has: tuple[str, ...] = ()  # fragments of log lines about the case's path
    stored_path: str | None = None  # where the article ends up (default: the case's own path)
    file: bool = True  # the case's path has a page in the mirror
    extra_faults: tuple[tuple[str, str, dict[str, Any]], ...] = ()  # (path, kind, options)

    @property
    def path(self) -> str:
        return case_path(self.name)

    @property
    def article(self) -> Article:
        return Article(slug=self.name, title=f"Case {self.name.replace('-', ' ')} keeps the harbour busy")


CHAIN_MIDDLE = case_path("redirect-chain-middle")
CHAIN_TARGET = case_path("redirect-chain-target")

CASES: tuple[HttpCase, ...] = (
    HttpCase("redirect-chain-301-302",
             "301 → 302 → the article: followed, the article stored under its own URL.",
             STORED, ("redirect", {"target": CHAIN_MIDDLE, "code": 301}), file=False, stored_path=CHAIN_TARGET,
             reasons=(STATUS + "301", STATUS + "302"),
             extra_faults=((CHAIN_MIDDLE, "redirect", {"target": CHAIN_TARGET, "code": 302}),)),
    HttpCase("redirect-loop",
             "An endless chain of 302s: given up after REDIRECT_MAX_TIMES hops, logged with its URL and counted.",
             REFUSED, ("redirect-loop", {}), reasons=("arabpress/errors/redirect_loop", "log_count/ERROR"),
             max_requests=REDIRECT_MAX_TIMES + 1, log_has=("max redirections",)),
    HttpCase("status-403", "403 Forbidden: not retried, refused, counted by status.",
             REFUSED, ("status", {"code": 403}), reasons=(STATUS + "403",), requests=1),
    HttpCase("status-404", "404 Not Found: not retried, refused, counted by status.",
             REFUSED, ("status", {"code": 404}), reasons=(STATUS + "404",), requests=1),
    HttpCase("status-410", "410 Gone: not retried, refused, counted by status.",
             REFUSED, ("status", {"code": 410}), reasons=(STATUS + "410",), requests=1),
    HttpCase("status-500", "500 on every attempt: retried RETRY_TIMES times, then refused and counted.",
             REFUSED, ("status", {"code": 500}), reasons=(STATUS + "500", "retry/max_reached"), requests=ATTEMPTS),
    HttpCase("retry-after-429",
             "429 with Retry-After: 1, twice: waits honoured (1 s each), then the page is stored.",
             STORED, ("429", {"retry_after": RETRY_AFTER_SECONDS, "times": 2}), reasons=(STATUS + "429",),
             requests=3, log_has=("waiting 1.0s before retry 1", "waiting 1.0s before retry 2", "(Retry-After)")),
    HttpCase("retry-after-503",
             "503 with Retry-After: 1, twice: waits honoured (1 s each), then the page is stored.",
             STORED, ("503", {"retry_after": RETRY_AFTER_SECONDS, "times": 2}), reasons=(STATUS + "503",),
             requests=3, log_has=("waiting 1.0s before retry 1", "waiting 1.0s before retry 2", "(Retry-After)")),
    HttpCase("retry-after-capped",
             "503 asking to come back in an hour: the wait is capped (1.5 s here), then the page is stored.",
             STORED, ("503", {"retry_after": 3600, "times": 1}), reasons=("arabpress/retry/capped",),
             requests=2, log_has=("waiting 1.5s before retry 1", "(Retry-After, capped)")),
    HttpCase("retry-after-503-forever",
             "503 with Retry-After on every attempt: retries bounded (RETRY_TIMES), then refused and counted.",
             REFUSED, ("503", {"retry_after": RETRY_AFTER_SECONDS}), reasons=(STATUS + "503", "retry/max_reached"),
             requests=ATTEMPTS),
    HttpCase("connection-reset",
             "The connection is reset (TCP RST) on every attempt: RETRY_TIMES retries, then refused and counted.",
             REFUSED, ("reset", {}), reasons=(DOWNLOAD_ERRORS, "retry/max_reached"),
             max_requests=CONNECTION_TRIES * ATTEMPTS, log_has=(f"(failed {ATTEMPTS} times)",)),
    HttpCase("stall-download-timeout",
             "The server never answers: each attempt hits the 2 s download timeout; bounded retries, counted.",
             REFUSED, ("stall", {}), reasons=(DOWNLOAD_ERRORS, "retry/max_reached"),
             max_requests=CONNECTION_TRIES * ATTEMPTS,
             log_has=(f"(failed {ATTEMPTS} times)", f"took longer than {DOWNLOAD_TIMEOUT_SECONDS:.1f} seconds")),
    HttpCase("slow-within-timeout", "An answer after 0.5 s (timeout 2 s): stored.",
             STORED, ("slow", {"seconds": 0.5}), requests=1),
)  # fmt: skip


@dataclass
class GroupCrawl:
    result: harness.CrawlResult
    requests: dict[str, int]


@pytest.fixture(scope="module")
def http_crawl(tmp_path_factory: pytest.TempPathFactory) -> GroupCrawl:
    workdir: Path = tmp_path_factory.mktemp("http")
    pages = {case.path: case.article.html() for case in CASES if case.file}
    pages[CHAIN_TARGET] = Article(slug="redirect-chain-target", title="The redirect chain ends at this story").html()
    root = harness.build_site(workdir / "site", pages, links=[harness.site_link(case.path) for case in CASES])
    with MirrorServer(root) as server:
        for case in CASES:
            if case.fault is not None:
                kind, options = case.fault
                server.set_fault(case.path, kind, **options)
            for path, kind, options in case.extra_faults:
                server.set_fault(path, kind, **options)
        result = harness.crawl(server.base_url, workdir, overrides={"settings": HTTP_SETTINGS})
        return GroupCrawl(result, dict(server.requests))


def counted(result: harness.CrawlResult, baseline: harness.CrawlResult, key: str) -> int:
    """How much more the run record counts under ``key`` (or prefix ending in "/") than the baseline's."""

    def total(run: dict[str, Any]) -> int:
        tables = (run["dropped_by_reason"], run["errors_by_kind"], run["stats"])
        return sum(
            value
            for table in tables
            for name, value in table.items()
            if isinstance(value, int) and (name == key or (key.endswith("/") and name.startswith(key)))
        )

    return total(result.run) - total(baseline.run)


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_http_case(
    case: HttpCase, http_crawl: GroupCrawl, baseline: harness.CrawlResult, baseline_paths: set[str]
) -> None:
    result = http_crawl.result
    harness.assert_finished(result)
    harness.assert_consistent(result)
    harness.assert_stored(result, baseline_paths)
    seen = http_crawl.requests.get(case.path, 0)
    if case.requests is not None:
        assert seen == case.requests, f"{case.path} requested {seen} times, expected {case.requests}"
    if case.max_requests is not None:
        assert 0 < seen <= case.max_requests, f"{case.path} requested {seen} times (bound {case.max_requests})"
    if case.expect == STORED:
        harness.assert_stored(result, [case.stored_path or case.path])
    else:
        harness.assert_not_stored(result, case.path)
        assert harness.log_mentions(result, case.path), f"the log never names {case.path}"
    for key in case.reasons:
        assert counted(result, baseline, key) > 0, f"{case.path}: nothing counted under {key} in the run record"
    lines = harness.log_mentions(result, case.path)
    for fragment in case.log_has:
        assert any(fragment in line for line in lines), f"no log line about {case.path} has {fragment!r}"


# -- robots.txt ----------------------------------------------------------------------------------------------

DISALLOWED_SECTION = "/2025/09/"
ROBOTS_DISALLOW = (
    "User-agent: *\nDisallow: /wp-admin/\nDisallow: " + DISALLOWED_SECTION + "\n"
    "Sitemap: https://arab.press/sitemap_index.xml\n"
).encode()


@dataclass(frozen=True)
class RobotsCase:
    name: str
    description: str
    robots: bytes | None = None  # a robots.txt file
    fault: tuple[str, dict[str, Any]] | None = None  # or a fault on /robots.txt
    disallowed: str | None = None


ROBOTS_CASES = (
    RobotsCase("robots-disallow-section",
               "robots.txt disallows /2025/09/: no page there is requested or stored, the rest is; counted as "
               "robotstxt/forbidden.", robots=ROBOTS_DISALLOW, disallowed=DISALLOWED_SECTION),
    RobotsCase("robots-binary-garbage", "robots.txt is 4 KB of random bytes: ignored, the whole site is crawled.",
               fault=("binary", {"size": 4096, "seed": 9})),
    RobotsCase("robots-html-page",
               "robots.txt answers with an HTML page (a CMS error page, 200): ignored, the whole site is crawled.",
               robots=b"<!DOCTYPE html><html><body><h1>Oops</h1><p>Disallow: this is not robots.txt</p>"
                      b"<p>User-agent: nobody</p></body></html>"),
)  # fmt: skip


@pytest.fixture(scope="module", params=ROBOTS_CASES, ids=lambda case: case.name)
def robots_crawl(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, GroupCrawl]:
    case: RobotsCase = request.param
    workdir = tmp_path_factory.mktemp(case.name)
    root = harness.build_site(workdir / "site", robots=case.robots)
    with MirrorServer(root) as server:
        if case.fault is not None:
            server.set_fault("/robots.txt", case.fault[0], **case.fault[1])
        result = harness.crawl(server.base_url, workdir)
        return case, GroupCrawl(result, dict(server.requests))


def test_robots(robots_crawl: tuple[RobotsCase, GroupCrawl], baseline_paths: set[str]) -> None:
    """robots.txt obeyed when it disallows a section; a broken robots.txt never stops the crawl."""
    case, crawl = robots_crawl
    result = crawl.result
    harness.assert_finished(result)
    harness.assert_consistent(result)
    stored = set(result.articles())
    if case.disallowed is None:
        harness.assert_stored(result, baseline_paths)
        return
    expected = {path for path in baseline_paths if not path.startswith(case.disallowed)}
    forbidden = baseline_paths - expected
    assert forbidden, f"the baseline has no article under {case.disallowed}: the case tests nothing"
    harness.assert_stored(result, expected)
    assert not stored & forbidden, f"disallowed pages stored: {sorted(stored & forbidden)[:5]}"
    fetched = [path for path in crawl.requests if path.startswith(case.disallowed)]
    assert not fetched, f"disallowed pages requested: {fetched[:5]}"
    assert result.count("robotstxt/forbidden") >= len(forbidden)



# -- the whole site down --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DownCase:
    name: str
    description: str
    earlier_run: bool  # a good crawl of the site before it went down
    fault: tuple[str, dict[str, Any]] | None  # on every path; None: nothing listens on the port any more


DOWN_CASES = (
    DownCase("refused-after-a-good-run",
             "The site stops answering (connection refused) after a good crawl: the next crawl exits non-zero "
             "with a line saying no article was found; the stored rows are intact.", True, None),
    DownCase("maintenance-503-after-a-good-run",
             "Every page answers 503 (maintenance) after a good crawl: bounded retries, then a non-zero exit "
             "with a warning line; the stored rows are intact.", True, ("503", {"retry_after": 0})),
    DownCase("refused-first-run",
             "A first crawl of a site that refuses every connection: a non-zero exit and a line on stderr, not "
             "a quiet success with no data.", False, None),
)  # fmt: skip


@pytest.mark.parametrize("case", DOWN_CASES, ids=lambda case: case.name)
def test_site_down(case: DownCase, tmp_path: Path) -> None:
    root = harness.build_site(tmp_path / "site")
    server = MirrorServer(root).start()
    try:
        stored: set[str] = set()
        if case.earlier_run:
            first = harness.crawl(server.base_url, tmp_path, name="arabpress")
            harness.assert_finished(first)
            stored = set(first.articles())
        if case.fault is None:
            server.stop()
        else:
            server.set_fault("*", case.fault[0], **case.fault[1])
        result = harness.crawl(server.base_url, tmp_path, name="arabpress", overrides={"settings": HTTP_SETTINGS})
    finally:
        server.stop()
    harness.assert_no_traceback(result.cli.stdout, result.cli.stderr)
    assert result.returncode != 0, f"a crawl of a site that is down exited 0:\n{result.cli.output[-2000:]}"
    assert result.cli.stderr.strip(), "nothing said on stderr"
    harness.assert_consistent(result)
    assert set(result.articles()) == stored
    errors = result.run["errors_by_kind"]
    assert errors, "the run record counts no error"
