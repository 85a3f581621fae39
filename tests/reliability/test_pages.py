"""Bad and odd pages (issue 6, list 1): one crawl of the demo mirror with every hostile page linked from its
homepage, served as hand-made files (``pages/``) or through the mirror server's fault switches.

Every case asserts that the crawl finished and left a consistent database with every good page of the
mirror stored; then either that its page was stored right (title, text, dates) or that it was refused and
counted in the run record with its reason (and named in the log).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from arabpress_mirror.server import MirrorServer

from . import harness
from .harness import Article, case_path, page_file

CATEGORY = "pages"

STORED = "stored"
REFUSED = "refused"
EITHER = "stored right, or refused and counted"
UTF8_META = b'<meta charset="UTF-8">'
LINK_COUNT = 10_000
ON_SITE_LINKS = 10
HUGE_PAGE_MEGABYTES = 20
#: Days a page of the suite may be given: its URL's day, or none. Never the page's bad value.
URL_DAY = "2025-06-30"
DOWNLOAD_ERRORS = "downloader/exception_type_count/"
NOT_ARTICLE = "arabpress/pages/not_article"

FaultFactory = Callable[[MirrorServer], tuple[str, dict[str, Any]]]


@dataclass(frozen=True)
class PageCase:
    name: str
    description: str
    expect: str
    file: bytes | None = None  # served as a file at the case's path
    fault: FaultFactory | None = None  # or a fault switch on the case's path
    title: str | None = None  # expected stored title
    body_has: tuple[str, ...] = ()
    body_lacks: tuple[str, ...] = ()
    reasons: tuple[str, ...] = ()  # run-record keys (or key prefixes ending in "/") that count a refusal
    check: Callable[[dict[str, Any]], None] | None = None  # extra checks of the stored row
    slug: str = ""

    @property
    def path(self) -> str:
        return case_path(self.slug or self.name)


# -- Arabic pages in legacy charsets --------------------------------------------------------------------------


def arabic_article(slug: str) -> Article:
    rng = random.Random("title:" + slug)
    words = [rng.choice(harness.ARABIC_WORDS) for _ in range(5)]
    return Article(slug=slug, title="خبر " + " ".join(words), lang="ar", section="عربي")


def served_bytes(server: MirrorServer, article: Article, encoding: str, meta: str | None) -> bytes:
    """The article as the server would send it, re-encoded to ``encoding`` with ``<meta charset=meta>``."""
    html = article.render().replace(harness.ORIGIN, server.base_url)
    replacement = f'<meta charset="{meta}">' if meta else ""
    return html.replace(UTF8_META.decode(), replacement, 1).encode(encoding, errors="xmlcharrefreplace")


def body_fault(article: Article, encoding: str, meta: str | None, content_type: str) -> FaultFactory:
    def factory(server: MirrorServer) -> tuple[str, dict[str, Any]]:
        body = served_bytes(server, article, encoding, meta)
        return "body", {"body": body, "content_type": content_type}

    return factory


def charset_fault(encoding: str, declare: bool) -> FaultFactory:
    return lambda server: ("charset", {"encoding": encoding, "declare": declare})


def charset_case(slug: str, description: str, how: str, encoding: str, declared: str | None) -> PageCase:
    """An Arabic page in ``encoding``: declared right (``how="right"``), not at all, or as ``declared``."""
    article = arabic_article(slug)
    if how == "right" and encoding == "utf-8":
        fault, file = None, article.html()
    elif how == "right":
        fault, file = charset_fault(encoding, True), article.html()
    elif how == "none" and encoding != "utf-8":
        fault, file = charset_fault(encoding, False), article.html()
    else:
        content_type = f"text/html; charset={declared}" if declared else "text/html"
        fault, file = body_fault(article, encoding, declared, content_type), None
    return PageCase(
        slug, description, STORED, file=file, fault=fault, title=article.title, body_has=tuple(article.paragraphs)
    )


# -- other generated pages ---------------------------------------------------------------------------------------


def many_links_page() -> bytes:
    """An article whose related list holds 10,000 links: off-site ones and a few to real articles."""
    on_site = [f"https://arab.press/2025/02/14/taif-camel-race/?ref={n}" for n in range(ON_SITE_LINKS)]
    off_site = [f"https://elsewhere.example/2025/06/30/story-{n}/" for n in range(LINK_COUNT - ON_SITE_LINKS)]
    article = Article(slug="ten-thousand-links", title="Ten thousand links hang off one archive page",
                      related=tuple(on_site + off_site))  # fmt: skip
    return article.html()


def plain_article(slug: str, title: str) -> Article:
    return Article(slug=slug, title=title)


LATIN_1_ARTICLE = Article(
    slug="charset-latin-1-declared",
    title="Café owners in Zürich fight rising rents",
    body_html="<p>Café owners in Zürich say the rents of the old town have doubled in five years, and several "
    "family cafés near the lake have closed for good this winter.</p>"
    "<p>A naïve déjà vu, one owner said: the same happened to the bakeries of the quarter a generation ago, "
    "and the city promised then as now to protect the small shops.</p>",
)
TRUNCATED = plain_article("truncated-connection", "Harbour cranes are replaced before the grain season")


def _published_is_url_day_or_none(row: dict[str, Any]) -> None:
    published = row["published_at"]
    assert published is None or published.startswith(URL_DAY), f"published_at {published!r}"
    modified = row["modified_at"]
    assert modified is None or modified[:4] in ("2025",), f"modified_at {modified!r}"


def _published_on(day: str) -> Callable[[dict[str, Any]], None]:
    def check(row: dict[str, Any]) -> None:
        assert (row["published_at"] or "").startswith(day), f"published_at {row['published_at']!r}"

    return check


def _related_bounded(row: dict[str, Any]) -> None:
    assert row["title"] == "Ten thousand links hang off one archive page"


CASES: tuple[PageCase, ...] = (
    PageCase("malformed-tag-soup",
             "Tag soup: unclosed <p> and <li>, stray and misnested end tags, unquoted attributes, upper-case tags, "
             "no </head>, <body> or </html>: stored with the right title and text.",
             STORED, file=page_file("malformed-tag-soup.html"), title="Orchard growers turn to drip irrigation",
             body_has=("Apricot and almond growers in the upper valley", "Older farmers were doubtful at first",
                       "offering similar loans to growers in the southern provinces")),
    PageCase("malformed-unclosed-containers",
             "Unclosed <div>s inside <header> (lxml's HTML4 parser then moves the body out of <article>): "
             "stored with the right title and text, or refused and counted as not an article; never stored wrong.",
             EITHER, file=page_file("malformed-unclosed-containers.html"),
             title="Ferry service to the islands resumes after repairs",
             body_has=("The ferry linking the mainland harbour", "Timetables are posted at the harbour office"),
             reasons=(NOT_ARTICLE, "no_title", "no_body")),
    PageCase("truncated-mid-document",
             "A page whose HTML ends mid-paragraph (no closing tags): stored with the text that arrived.",
             STORED, file=page_file("truncated-mid-document.html"),
             title="Observatory opens its telescope to schoolchildren",
             body_has=("Pupils will look at the moon",)),
    PageCase("truncated-connection",
             "Content-Length promises the page, the connection closes halfway (every attempt): refused, "
             "counted as a download error after bounded retries.",
             REFUSED, file=TRUNCATED.html(), fault=lambda server: ("truncate", {"fraction": 0.5}),
             reasons=(DOWNLOAD_ERRORS, "retry/max_reached")),
    PageCase("empty-200", "200 OK with an empty body: refused, counted as not an article.",
             REFUSED, fault=lambda server: ("body", {"body": b""}), reasons=(NOT_ARTICLE, "no_title", "no_body")),
    PageCase("soft-404", "200 OK showing \"Page not found\" in the article template: refused, counted.",
             REFUSED, file=page_file("soft-404.html"), reasons=("no_title", "no_body", NOT_ARTICLE)),
    charset_case("charset-utf-8-declared", "Arabic UTF-8 page declared UTF-8: stored exactly.", "right", "utf-8", None),
    charset_case("charset-utf-8-undeclared",
                 "Arabic UTF-8 page with no charset in the header or <meta>: stored exactly.",
                 "none", "utf-8", None),
    charset_case("charset-utf-8-declared-windows-1256",
                 "Arabic UTF-8 page declared windows-1256 (header and <meta>): stored exactly.",
                 "wrong", "utf-8", "windows-1256"),
    charset_case("charset-windows-1256-declared",
                 "Arabic windows-1256 page declared right (header and <meta>): stored exactly.",
                 "right", "windows-1256", None),
    charset_case("charset-windows-1256-undeclared",
                 "Arabic windows-1256 page with no charset anywhere: stored exactly.",
                 "none", "windows-1256", None),
    charset_case("charset-windows-1256-declared-utf-8",
                 "Arabic windows-1256 page declared UTF-8 (header and <meta>): stored exactly.",
                 "wrong", "windows-1256", "UTF-8"),
    charset_case("charset-iso-8859-6-declared",
                 "Arabic ISO-8859-6 page declared right (header and <meta>): stored exactly.",
                 "right", "iso-8859-6", None),
    charset_case("charset-iso-8859-6-undeclared",
                 "Arabic ISO-8859-6 page with no charset anywhere: stored exactly.",
                 "none", "iso-8859-6", None),
    charset_case("charset-iso-8859-6-declared-latin-1",
                 "Arabic ISO-8859-6 page declared ISO-8859-1 (header and <meta>): stored exactly.",
                 "wrong", "iso-8859-6", "ISO-8859-1"),
    PageCase("charset-latin-1-declared",
             "An English page with accented words (café, Zürich, naïve) in ISO-8859-1, declared so: stored "
             "exactly (a correct Western declaration is never overridden).",
             STORED, fault=body_fault(LATIN_1_ARTICLE, "latin-1", "ISO-8859-1", "text/html; charset=ISO-8859-1"),
             title=LATIN_1_ARTICLE.title, body_has=("Café owners in Zürich", "naïve déjà vu")),
    PageCase("binary-as-html", "4 KB of random bytes labelled text/html: refused, counted.",
             REFUSED, fault=lambda server: ("binary", {"size": 4096, "seed": 6}),
             reasons=(NOT_ARTICLE, "no_title", "no_body")),
    PageCase("huge-page-20mb",
             "A 20 MB page (limit 10 MB): the download is cancelled, refused, counted as a download error.",
             REFUSED, fault=lambda server: ("huge", {"megabytes": HUGE_PAGE_MEGABYTES}), reasons=(DOWNLOAD_ERRORS,)),
    PageCase("ten-thousand-links",
             "An article with 10,000 related links (9,990 off-site): stored, no off-site link followed.",
             STORED, file=many_links_page(), title="Ten thousand links hang off one archive page",
             check=_related_bounded),
    PageCase("jsonld-invalid-json",
             "JSON-LD blocks that are not JSON (syntax errors, empty, bad escapes): stored from the other layers.",
             STORED, file=page_file("jsonld-invalid.html"),
             title="Glassblowers revive an old craft in the coastal town",
             body_has=("Three families of glassblowers",), check=_published_on(URL_DAY)),
    PageCase("jsonld-wrong-shape",
             "JSON-LD of the wrong shape (arrays of scalars, numbers for dates, objects for strings): stored.",
             STORED, file=page_file("jsonld-wrong-shape.html"), title="Mountain villages share one travelling dentist",
             body_has=("Eleven villages in the northern mountains",), check=_published_on(URL_DAY)),
    PageCase("date-impossible",
             "Dates that cannot exist (30 February, month 13, 25:61): stored, no impossible date kept.",
             STORED, file=page_file("date-impossible.html"), title="Reservoir levels rise after a wet spring",
             check=_published_is_url_day_or_none),
    PageCase("date-ambiguous",
             "Only ambiguous dates (03/04/2025, 04/03/2025): stored, neither reading guessed.",
             STORED, file=page_file("date-ambiguous.html"), title="Night market returns to the old bus station",
             check=_published_is_url_day_or_none),
    PageCase("date-future", "Dates in 2099, 2199 and 9999: stored, no future date kept.",
             STORED, file=page_file("date-future.html"), title="Pottery school doubles its evening classes",
             check=_published_is_url_day_or_none),
    PageCase("title-whitespace",
             "A title of spaces, tabs, no-break, zero-width and bidi characters: refused as no_title, counted.",
             REFUSED, file=page_file("title-whitespace.html"), reasons=("no_title", NOT_ARTICLE)),
    PageCase("title-control-characters", "A title of control characters: refused as no_title, counted.",
             REFUSED, file=page_file("title-control-characters.html"), reasons=("no_title", NOT_ARTICLE)),
    PageCase("script-style-in-body",
             "<script>, <style>, <noscript> and <template> inside the body: stored without their text.",
             STORED, file=page_file("script-style-in-body.html"), title="Lighthouse keeper retires after forty years",
             body_has=("The keeper of the northern lighthouse", "Visitors can climb the tower"),
             body_lacks=("LEAK-MARKER", "color: red", "document.write", "injected paragraph", "trackVisit")),
)  # fmt: skip


@pytest.fixture(scope="module")
def pages_crawl(tmp_path_factory: pytest.TempPathFactory, baseline: harness.CrawlResult) -> harness.CrawlResult:
    """One crawl of the demo mirror with every page case linked from its homepage."""
    workdir: Path = tmp_path_factory.mktemp("pages")
    files = {case.path: case.file for case in CASES if case.file is not None}
    root = harness.build_site(workdir / "site", files, links=[harness.site_link(case.path) for case in CASES])
    with MirrorServer(root) as server:
        for case in CASES:
            if case.fault is not None:
                kind, options = case.fault(server)
                server.set_fault(case.path, kind, **options)
        return harness.crawl(server.base_url, workdir)


def counted_beyond_baseline(result: harness.CrawlResult, baseline: harness.CrawlResult, keys: tuple[str, ...]) -> int:
    """How much more the run record counts under ``keys`` (exact, or prefixes ending in "/") than the baseline."""

    def total(run: dict[str, Any]) -> int:
        count = 0
        for table in (run["dropped_by_reason"], run["errors_by_kind"], run["stats"]):
            for key, value in table.items():
                if isinstance(value, int) and any(key == k or (k.endswith("/") and key.startswith(k)) for k in keys):
                    count += value
        return count

    return total(result.run) - total(baseline.run)


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_page_case(
    case: PageCase, pages_crawl: harness.CrawlResult, baseline: harness.CrawlResult, baseline_paths: set[str]
) -> None:
    harness.assert_finished(pages_crawl)
    harness.assert_consistent(pages_crawl)
    harness.assert_stored(pages_crawl, baseline_paths)
    row = pages_crawl.articles().get(case.path)
    if case.expect == STORED or (case.expect == EITHER and row is not None):
        assert row is not None, f"{case.path} was not stored; log: {harness.log_mentions(pages_crawl, case.path)}"
        check_stored(case, row)
    else:
        harness.assert_not_stored(pages_crawl, case.path)
        assert counted_beyond_baseline(pages_crawl, baseline, case.reasons) > 0, (
            f"{case.path} refused but not counted under {case.reasons} in the run record"
        )
        assert harness.log_mentions(pages_crawl, case.path), f"the log never names {case.path}"


def check_stored(case: PageCase, row: dict[str, Any]) -> None:
    if case.title is not None:
        assert row["title"] == case.title
    for text in case.body_has:
        assert text in (row["body"] or ""), f"{text!r} missing from the stored body {row['body']!r:.400}"
    for text in case.body_lacks:
        assert text not in (row["body"] or ""), f"{text!r} leaked into the stored body"
        assert text not in (row["title"] or "")
    if case.check is not None:
        case.check(row)
