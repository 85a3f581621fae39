"""Extraction cost per page: the site layer, the generic layer, and trafilatura's ``extract`` as reference.

Every timing starts from the page's bytes, as the crawler has them, so each includes the HTML parse:

* **site layer** — ``ArticlePage(response).to_item()`` on a page of the known template: the path every
  mirror page takes in the crawl (site selectors, metadata for fields the template lacks, the generic layer
  only if a core field were missing — the run counts how often that happened);
* **generic layer** — every field of :class:`~arabpress_crawler.pages.generic.GenericLayer` read thoroughly
  (trafilatura's ``bare_extraction``, htmldate, the related-list finder), what a page of an unknown template
  costs;
* **trafilatura** — ``trafilatura.extract(body, url=url)``, the well-known reference.

Pages are an even sample of the mirror's article pages; a run times every page once, and the figures are
the median over runs of each run's median and p95.
"""

from __future__ import annotations

import logging
import re
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import trafilatura
from scrapy.http import HtmlResponse

from arabpress_crawler.pages.article import ArticlePage
from arabpress_crawler.pages.generic import GenericLayer
from bench.report import Figure, Section
from bench.stats import MIN_RUNS, Summary, percentile, summarize

logger = logging.getLogger(__name__)

#: The public origin the mirror's pages are written with (the server rewrites it when serving).
MIRROR_ORIGIN = "https://arab.press"
#: ``<root>/YYYY/MM/DD/<slug>/index.html``: an article page (AMP copies are left out).
ARTICLE_FILE = re.compile(r"^\d{4}/\d{2}/\d{2}/[^/]+/index\.html$")
DEFAULT_SAMPLE = 300
NS_PER_MS = 1_000_000
#: Targets of issue 3 and issue 7.
SITE_MEDIAN_TARGET_MS = 3.0
TRAFILATURA_SPEEDUP_TARGET = 5.0
GENERIC_FIELDS = (
    "url",
    "title",
    "body",
    "published_at",
    "authors",
    "section",
    "tags",
    "image_url",
    "language",
    "related",
)


@dataclass(frozen=True)
class Page:
    url: str
    body: bytes


@dataclass(frozen=True)
class KindResult:
    """The timings of one kind of extraction: median and p95 ms/page, each summarised over runs."""

    name: str
    median_ms: Summary
    p95_ms: Summary


def article_files(root: Path) -> list[Path]:
    """The article pages of a mirror (``index.html`` under a date permalink), sorted by path."""
    found = []
    for path in root.rglob("index.html"):
        relative = path.relative_to(root).as_posix()
        if ARTICLE_FILE.match(relative):
            found.append(path)
    return sorted(found)


def sample_pages(root: Path, size: int = DEFAULT_SAMPLE) -> list[Page]:
    """An even sample of ``size`` article pages of the mirror at ``root``, with their public URLs."""
    files = article_files(root)
    if not files:
        raise FileNotFoundError(f"no article pages under {root}; generate a mirror first")
    step = max(1, len(files) // size)
    chosen = files[::step][:size]
    return [Page(url=f"{MIRROR_ORIGIN}/{path.parent.relative_to(root).as_posix()}/", body=path.read_bytes())
            for path in chosen]


def response_for(page: Page) -> HtmlResponse:
    return HtmlResponse(page.url, body=page.body, encoding="utf-8")


def site_extract(page: Page) -> object:
    return ArticlePage(response_for(page)).to_item()


def generic_extract(page: Page) -> object:
    layer = GenericLayer(response_for(page).selector.root, page.url, thorough=True)
    return [getattr(layer, name)() for name in GENERIC_FIELDS]


def trafilatura_extract(page: Page) -> object:
    return trafilatura.extract(page.body, url=page.url)


def parse_only(page: Page) -> object:
    return response_for(page).selector.root


KINDS: dict[str, Callable[[Page], object]] = {
    "site layer (ArticlePage.to_item)": site_extract,
    "generic layer (all fields)": generic_extract,
    "trafilatura.extract (reference)": trafilatura_extract,
    "HTML parse only (part of each above)": parse_only,
}


def time_pages(extract: Callable[[Page], object], pages: Sequence[Page]) -> list[float]:
    """Milliseconds per page of ``extract`` over ``pages`` (one call each)."""
    timings = []
    for page in pages:
        started = time.perf_counter_ns()
        extract(page)
        timings.append((time.perf_counter_ns() - started) / NS_PER_MS)
    return timings


def measure_kind(name: str, extract: Callable[[Page], object], pages: Sequence[Page], runs: int) -> KindResult:
    medians, p95s = [], []
    for run in range(runs):
        timings = time_pages(extract, pages)
        medians.append(summarize(timings).median)
        p95s.append(percentile(timings, 0.95))
        logger.info("%s, run %d: median %.2f ms, p95 %.2f ms", name, run + 1, medians[-1], p95s[-1])
    return KindResult(name, summarize(medians), summarize(p95s))


def layer_mix(pages: Sequence[Page]) -> Counter[str]:
    """How many fields each layer gave over ``pages`` on the site path, and how many pages were not articles."""
    mix: Counter[str] = Counter()
    for page in pages:
        item = ArticlePage(response_for(page)).to_item()
        if item is None:
            mix["not an article"] += 1
            logger.warning("sampled page is not an article: %s", page.url)
            continue
        mix.update(item.extraction.values())
    return mix


def run(mirror_root: Path, *, sample: int = DEFAULT_SAMPLE, runs: int = MIN_RUNS) -> Section:
    """Measure every kind over a sample of the mirror at ``mirror_root``; the document's section."""
    pages = sample_pages(mirror_root, sample)
    logger.info("extraction bench over %d pages of %s", len(pages), mirror_root)
    for page in pages[:1]:  # warm caches and lazy imports outside the timings
        for extract in KINDS.values():
            extract(page)
    results = [measure_kind(name, extract, pages, runs) for name, extract in KINDS.items()]
    return section(results, layer_mix(pages), len(pages), runs, mirror_root)


def section(results: Sequence[KindResult], mix: Counter[str], pages: int, runs: int, root: Path) -> Section:
    by_name = {result.name: result for result in results}
    site = by_name["site layer (ArticlePage.to_item)"]
    reference = by_name["trafilatura.extract (reference)"]
    speedup = reference.median_ms.median / site.median_ms.median if site.median_ms.median else 0.0
    rows = [
        (result.name, result.median_ms.format(2, "ms"), result.p95_ms.format(2, "ms"),
         f"{reference.median_ms.median / result.median_ms.median:.1f}×" if result.median_ms.median else "–")
        for result in results
    ]
    total = sum(count for layer, count in mix.items() if layer != "not an article")
    shares = ", ".join(f"{layer} {count / total:.0%}" for layer, count in mix.most_common() if total
                       and layer != "not an article")
    figures = [
        Figure("extraction.site_median", "Site layer, median ms/page", site.median_ms.format(2, "ms"),
               f"≤ {SITE_MEDIAN_TARGET_MS:g} ms", site.median_ms.median <= SITE_MEDIAN_TARGET_MS),
        Figure("extraction.speedup", "Site layer vs trafilatura.extract (median)", f"{speedup:.1f}× faster",
               f"≥ {TRAFILATURA_SPEEDUP_TARGET:g}×", speedup >= TRAFILATURA_SPEEDUP_TARGET),
    ]
    notes = [
        f"Fields by layer on the site path over the sample: {shares or 'none'}"
        + (f"; {mix['not an article']} sampled pages were not articles." if mix["not an article"] else "."),
    ]
    return Section(
        title="Extraction cost",
        intro=(
            f"{pages} article pages sampled evenly from the generated mirror, each extraction timed once per run "
            f"({runs} runs), from the page's bytes (HTML parse included). Columns: median and p95 ms/page "
            "(median of the runs, with min and max), and speed relative to trafilatura.extract."
        ),
        headers=("extraction", "median ms/page", "p95 ms/page", "vs trafilatura"),
        rows=rows,
        figures=figures,
        notes=notes,
        commands=[f"python -m bench.run --only extraction   # pages from {root.name}/"],
    )
