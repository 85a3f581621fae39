"""Extraction quality on real pages nobody here wrote: this project against trafilatura, side by side in one run.

``make bench-extraction`` (``python -m bench.extraction_quality``) reads ``../shared/corpora/readability/``
(130 saved pages with Readability's labels, see :mod:`bench.extraction_corpus`), extracts every page with

* **this project**: ``ArticlePage(HtmlResponse(url, body, encoding="utf-8")).to_item()``, the crawl's path
  (none of these pages is of the Arab Press template, so every field comes from the metadata and generic
  layers);
* **trafilatura**: its default ``extract`` and the other settings a user would try (precision, recall, no
  comments), each timed the same way; title, authors and date from one ``bare_extraction`` with metadata;

then the same pages with every ``<meta>``, JSON-LD script and microdata attribute removed (the generic
layer alone: what a redesign without metadata looks like), and writes ``docs/extraction-quality.md``.
Skips with one line when the corpus is absent. Not part of ``make test``: the floor test is.

Timing: every page is extracted :data:`ROUNDS` times by every timed extractor, the rounds interleaved (a
page's extractors run back to back, in an order rotated each round), and a page's time is the median of its
rounds: a burst of load on a shared machine then weighs on every extractor alike and on no page's figure.
ms/page is the mean of those medians; ratios are of their sums. Only the first round is scored (extraction
is deterministic).
"""

from __future__ import annotations

import argparse
import json
import logging
import platform
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import trafilatura
from scrapy.http import HtmlResponse

from arabpress_crawler.pages.article import ArticlePage
from bench.extraction_corpus import (
    CORPUS_DIR,
    SKIP_MESSAGE,
    Case,
    Extraction,
    PageScore,
    Summary,
    available,
    load_cases,
    score,
    strip_metadata,
    summarize,
)

logger = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUTPUT = ROOT / "docs" / "extraction-quality.md"
#: Figures of the code before issue 16's fixes, rendered beside the current run ("before" column).
BASELINE = Path(__file__).resolve().parent / "extraction_baseline.json"
NS_PER_MS = 1_000_000
PROJECT = "this project (ArticlePage)"
PROJECT_UNTRIMMED = "this project, body before the contract's trim (diagnostic)"
TRAFILATURA_DEFAULT = "trafilatura extract (default)"
#: trafilatura's settings compared, by name; the best F1 among them is "trafilatura's best setting".
TRAFILATURA_SETTINGS: dict[str, dict[str, bool]] = {
    TRAFILATURA_DEFAULT: {},
    "trafilatura favor_precision": {"favor_precision": True},
    "trafilatura favor_precision, no comments": {"favor_precision": True, "include_comments": False},
    "trafilatura no comments": {"include_comments": False},
    "trafilatura favor_recall": {"favor_recall": True},
}
#: The targets of issue 16 ("Done when").
STRIPPED_F1_LOSS_TARGET = 0.03
SPEED_RATIO_TARGET = 1.5
WORST_PAGES = 15
#: How many times each page is timed per extractor (the median counts).
ROUNDS = 5

#: ``extract(case, body, timing_only)``: the extraction of the page, with its time in ``ms``; with
#: ``timing_only``, only the timed work is done (a later round of timing: nothing untimed, nothing scored).
Extractor = Callable[[Case, bytes, bool], Extraction]


def project_extract(case: Case, body: bytes, timing_only: bool = False) -> Extraction:
    started = time.perf_counter_ns()
    page = ArticlePage(HtmlResponse(case.url, body=body, encoding="utf-8"))
    item = page.to_item()
    elapsed = (time.perf_counter_ns() - started) / NS_PER_MS
    if item is None:
        return Extraction(refused=True, reason=page.not_article_reason, ms=elapsed)
    return Extraction(
        body=item.body,
        title=item.title,
        authors=list(item.authors),
        language=item.language,
        published=item.published_at,
        ms=elapsed,
    )


def project_untrimmed_extract(case: Case, body: bytes, timing_only: bool = False) -> Extraction:
    """This project's body before :meth:`ArticlePage._trim_generic_body` moves its opening headline,
    standfirst and byline lines to their own fields: a diagnostic of what the field contract costs against
    labels that keep those lines (the body only is scored; not timed: its work is the project's)."""
    started = time.perf_counter_ns()
    page = ArticlePage(HtmlResponse(case.url, body=body, encoding="utf-8"))
    item = page.to_item()
    elapsed = (time.perf_counter_ns() - started) / NS_PER_MS
    if item is None:
        return Extraction(refused=True, ms=elapsed, with_metadata=False)
    text = page.generic.body() if item.extraction.get("body") == "generic" else item.body
    return Extraction(body=text, ms=elapsed, with_metadata=False, gives_language=False)


def trafilatura_extractor(options: dict[str, bool], with_metadata: bool) -> Extractor:
    """trafilatura's ``extract`` with ``options``, timed; title, authors and date read untimed when asked."""

    def extract(case: Case, body: bytes, timing_only: bool = False) -> Extraction:
        started = time.perf_counter_ns()
        text = trafilatura.extract(body, url=case.url, **options)
        elapsed = (time.perf_counter_ns() - started) / NS_PER_MS
        found = Extraction(
            refused=text is None, body=text, ms=elapsed, with_metadata=with_metadata, gives_language=False
        )
        if with_metadata and not timing_only:
            document = trafilatura.bare_extraction(body, url=case.url, with_metadata=True, **options)
            if document is not None:
                found.title = document.title
                found.authors = [name.strip() for name in (document.author or "").split(";") if name.strip()]
                found.published = document.date
        return found

    return extract


@dataclass
class Run:
    """The scores of every extractor over the corpus, by extractor name."""

    scores: dict[str, list[PageScore]]
    refusals: dict[str, str]

    def summary(self, name: str) -> Summary:
        return summarize(self.scores[name])


def run_side_by_side(
    extractors: dict[str, Extractor],
    cases: Sequence[Case],
    bodies: Sequence[bytes],
    rounds: int = ROUNDS,
    untimed: frozenset[str] = frozenset(),
) -> tuple[dict[str, list[PageScore]], dict[str, str]]:
    """Every extractor on every page: the first round scored, ``rounds`` rounds timed (``untimed``: scored
    only, their ``ms`` 0). Rounds are interleaved page by page (a page's extractions run back to back, in an
    order rotated each round), so a change of the machine's load weighs on all of them alike; a page's time
    is the median of its rounds. The scores by extractor (``ms``: that median), and the project's refusals."""
    for extract in extractors.values():
        extract(cases[0], bodies[0], False)  # lazy imports and caches outside the timings
    names = list(extractors)
    timed = [name for name in names if name not in untimed]
    first: dict[str, list[Extraction]] = {name: [] for name in names}
    times: dict[str, list[list[float]]] = {name: [[] for _ in cases] for name in timed}
    for round_ in range(max(1, rounds)):
        shift = round_ % max(1, len(timed))
        order = timed[shift:] + timed[:shift] + ([name for name in names if name in untimed] if round_ == 0 else [])
        for index, (case, body) in enumerate(zip(cases, bodies, strict=True)):
            for name in order:
                found = extractors[name](case, body, round_ > 0)
                if round_ == 0:
                    first[name].append(found)
                if name in times:
                    times[name][index].append(found.ms)
    scores: dict[str, list[PageScore]] = {}
    refusals: dict[str, str] = {}
    for name in names:
        scores[name] = []
        for index, (case, found) in enumerate(zip(cases, first[name], strict=True)):
            ms = statistics.median(times[name][index]) if name in times else 0.0
            scores[name].append(score(case, replace(found, ms=ms)))
            if name == PROJECT and found.refused:
                refusals[case.name] = found.reason or "?"
        logger.info("%s: %s", name, summarize(scores[name]))
    return scores, refusals


def measure(cases: Sequence[Case], rounds: int = ROUNDS) -> tuple[Run, Run]:
    """The full run (project and trafilatura's settings) and the metadata-stripped run (project, default)."""
    bodies = [case.body for case in cases]
    extractors: dict[str, Extractor] = {PROJECT: project_extract, PROJECT_UNTRIMMED: project_untrimmed_extract}
    for name, options in TRAFILATURA_SETTINGS.items():
        extractors[name] = trafilatura_extractor(options, with_metadata=name == TRAFILATURA_DEFAULT)
    full = run_side_by_side(extractors, cases, bodies, rounds, untimed=frozenset({PROJECT_UNTRIMMED}))
    stripped_bodies = [strip_metadata(body) for body in bodies]
    stripped_extractors = {PROJECT: project_extract, TRAFILATURA_DEFAULT: trafilatura_extractor({}, True)}
    stripped = run_side_by_side(stripped_extractors, cases, stripped_bodies, rounds)
    return Run(*full), Run(*stripped)


def best_trafilatura(run: Run) -> str:
    return max(
        (name for name in run.scores if name.startswith("trafilatura")), key=lambda n: run.summary(n).f1
    )


# -- the document -----------------------------------------------------------------------------------------


def _row(name: str, summary: Summary) -> str:
    shares = (summary.title, summary.byline, summary.language, summary.direction, summary.published)
    return (
        f"| {name} | {summary.f1:.3f} | {summary.precision:.3f} | {summary.recall:.3f} | {summary.empty_bodies} "
        f"| {' | '.join(_fmt(share) for share in shares)} "
        f"| {summary.refused_readerable} | {summary.accepted_not_readerable} "
        f"| {f'{summary.ms_per_page:.1f}' if summary.ms_per_page else '–'} |"
    )


HEADER = (
    "| extractor | body F1 | P | R | no body | title | byline | lang | dir | date | readerable refused "
    "| non-readerable kept | ms/page |\n"
    "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
)


def targets(full: Run, stripped: Run) -> list[tuple[str, str, bool]]:
    """(target, figure, holds) for each "Done when" line of issue 16 measured here."""
    ours, best_name = full.summary(PROJECT), best_trafilatura(full)
    best, default = full.summary(best_name), full.summary(TRAFILATURA_DEFAULT)
    ours_stripped = stripped.summary(PROJECT)
    loss = ours.f1 - ours_stripped.f1
    ratio = ours.ms_per_page / default.ms_per_page if default.ms_per_page else 0.0
    return [
        (
            "body F1 ≥ trafilatura's best setting",
            f"{ours.f1:.3f} vs {best.f1:.3f} ({best_name})",
            ours.f1 >= best.f1,
        ),
        (
            "body recall ≥ trafilatura's default",
            f"{ours.recall:.4f} vs {default.recall:.4f}{_untrimmed_recall(full)}",
            ours.recall >= default.recall,
        ),
        ("no readerable page refused", f"{ours.refused_readerable} refused", ours.refused_readerable == 0),
        (
            "titles equal to the label on ≥ as many pages as trafilatura",
            f"{ours.title:.3f} vs {default.title:.3f}",
            (ours.title or 0.0) >= (default.title or 0.0),
        ),
        (
            f"metadata-stripped run loses ≤ {STRIPPED_F1_LOSS_TARGET} body F1",
            f"{ours.f1:.3f} → {ours_stripped.f1:.3f} (−{loss:.3f})",
            loss <= STRIPPED_F1_LOSS_TARGET,
        ),
        (
            f"ms/page ≤ {SPEED_RATIO_TARGET}× trafilatura's default extract",
            f"{ours.ms_per_page:.1f} vs {default.ms_per_page:.1f} ms ({ratio:.2f}×)",
            ratio <= SPEED_RATIO_TARGET,
        ),
    ]


def _untrimmed_recall(run: Run) -> str:
    if PROJECT_UNTRIMMED not in run.scores:
        return ""
    return f" ({run.summary(PROJECT_UNTRIMMED).recall:.4f} before the contract's trim)"


def worst_pages(
    full: Run, stripped: Run, count: int = WORST_PAGES, against_trafilatura: bool = True
) -> list[str]:
    """The project's worst pages: by its F1 less trafilatura's best on the page, or by its F1 alone."""
    best_name = best_trafilatura(full)
    reference = {s.case: s for s in full.scores[best_name]}
    bare = {s.case: s for s in stripped.scores[PROJECT]}
    if against_trafilatura:
        ranked = sorted(full.scores[PROJECT], key=lambda s: (s.f1 - reference[s.case].f1, s.f1))[:count]
    else:
        ranked = sorted(full.scores[PROJECT], key=lambda s: s.f1)[:count]
    lines = [
        "| page | F1 (P / R) | trafilatura best | stripped F1 | what went wrong |",
        "| --- | --- | --- | --- | --- |",
    ]
    for page in ranked:
        lines.append(
            f"| `{page.case}` | {page.f1:.2f} ({page.precision:.2f} / {page.recall:.2f}) "
            f"| {reference[page.case].f1:.2f} | {bare[page.case].f1:.2f} | {_diagnosis(page, full.refusals)} |"
        )
    return lines


def _diagnosis(page: PageScore, refusals: dict[str, str]) -> str:
    if page.case in refusals:
        return f"refused: {refusals[page.case]}"
    if page.recall == 0.0:
        return "no body"
    problems = []
    if page.recall < 0.7:
        problems.append(f"body cut short (recall {page.recall:.2f})")
    if page.precision < 0.7:
        problems.append(f"extra text in the body (precision {page.precision:.2f})")
    if page.title is False:
        problems.append("title differs from the label")
    return "; ".join(problems) or "small differences"


def render(
    full: Run, stripped: Run, cases: int, baseline: dict[str, dict[str, float]] | None, rounds: int = ROUNDS
) -> str:
    parts = [
        "# Extraction quality on real pages",
        "",
        "Generated by `make bench-extraction` (`python -m bench.extraction_quality`); do not edit by hand. "
        "Every page's scores: `python -m bench.extraction_quality --pages pages.json`.",
        f"Corpus: `../shared/corpora/readability/` ({cases} pages, Mozilla Readability's test suite: its labels "
        "`expected.html` and `expected-metadata.json`). "
        f"Python {platform.python_version()}, trafilatura {trafilatura.__version__}.",
        "",
        "Body: token F1 as the scrapinghub article-extraction-benchmark computes it (`\\w+` tokens, bags of "
        "4-token shingles, precision and recall per page, averaged; F1 of the averages). `no body`: pages whose "
        "body shares no shingle with the label. Title: equal to the label after whitespace normalisation. "
        "Byline: every extracted author name is in the labelled byline (pages with a byline label). "
        "lang/dir: primary language subtag, and right-to-left or not, against the label. Date: the day of "
        "`publishedTime` (33 pages). `readerable refused`: pages a reader mode accepts that were refused as not "
        "an article. ms/page: from the page's bytes (parse included, the same work for every extractor); each page "
        f"timed {rounds} times per extractor in interleaved rounds (a page's extractors back to back, their order "
        "rotated each round, so the machine's load weighs on all alike), the median of a page's rounds, averaged "
        "over the pages; the ratio to trafilatura is of the sums of those medians, taken in the same run. "
        f"`{PROJECT_UNTRIMMED}` is not timed (its work is the first row's).",
        "",
        "The labels are one peer's choices, not ground truth: Readability keeps the in-page headline, the "
        "standfirst, captions and tables in its content, and its title is `og:title` or `<title>` as written "
        "(site names included). This project's field contract keeps the headline and the standfirst out of "
        "`body` (they are `title` and `subtitle`) and strips site names from titles, which costs some recall "
        "and some title matches here; `dir` follows from the language (this project records no direction). "
        f"The row `{PROJECT_UNTRIMMED}` scores the body as it is before those lines are moved to their fields "
        "(what the contract costs in recall); only the first row is this project's output.",
        "",
        "## Targets (issue 16)",
        "",
        "| target | figure | holds |",
        "| --- | --- | --- |",
        *(
            f"| {name} | {figure} | {'yes' if holds else '**no**'} |"
            for name, figure, holds in targets(full, stripped)
        ),
        "",
        "## All pages",
        "",
        HEADER,
        *(_row(name, full.summary(name)) for name in full.scores),
        "",
        "## Metadata stripped (every `<meta>`, JSON-LD script and microdata attribute removed)",
        "",
        HEADER,
        *(_row(name, stripped.summary(name)) for name in stripped.scores),
        "",
    ]
    if baseline:
        parts += _before_after(full, stripped, baseline)
    parts += [
        "## Worst pages of this project (against trafilatura's best setting on the same page)",
        "",
        *worst_pages(full, stripped),
        "",
        "## Lowest body F1 of this project",
        "",
        *worst_pages(full, stripped, against_trafilatura=False),
        "",
        "## Refused pages",
        "",
        *(
            [
                f"- `{name}` ({'readerable' if _is_readerable(full, name) else 'not readerable'}): {reason}"
                for name, reason in sorted(full.refusals.items())
            ]
            or ["None."]
        ),
        "",
    ]
    return "\n".join(parts)


def _is_readerable(run: Run, name: str) -> bool:
    return any(s.case == name and s.readerable for s in run.scores[PROJECT])


BASELINE_FIGURES = (
    "f1",
    "precision",
    "recall",
    "empty_bodies",
    "title",
    "byline",
    "published",
    "refused_readerable",
    "ms_vs_trafilatura",
)


def _figures(run: Run) -> dict[str, float]:
    """The project's figures of ``run``; time as a multiple of trafilatura's default in the same run (the
    machine's load changes between runs, the ratio much less)."""
    summary, reference = run.summary(PROJECT), run.summary(TRAFILATURA_DEFAULT)
    figures = {k: v for k, v in asdict(summary).items() if k in BASELINE_FIGURES}
    figures["ms_vs_trafilatura"] = (
        summary.ms_per_page / reference.ms_per_page if reference.ms_per_page else 0.0
    )
    return figures


def baseline_data(full: Run, stripped: Run) -> dict[str, dict[str, float]]:
    return {"all pages": _figures(full), "metadata stripped": _figures(stripped)}


def _before_after(full: Run, stripped: Run, baseline: dict[str, dict[str, float]]) -> list[str]:
    now = baseline_data(full, stripped)
    lines = [
        "## Before and after (this project; before: main at da79c0d, measured by this harness; ms_vs_trafilatura: "
        "ms/page as a multiple of trafilatura's default extract in the same run)",
        "",
        "| run | figure | before | after |",
        "| --- | --- | --- | --- |",
    ]
    for run_name, figures in baseline.items():
        for key in BASELINE_FIGURES:
            if key in figures:
                lines.append(f"| {run_name} | {key} | {_fmt(figures[key])} | {_fmt(now[run_name][key])} |")
    return [*lines, ""]


def page_scores(full: Run, stripped: Run) -> dict[str, dict[str, list[dict[str, object]]]]:
    """Every page's scores, by run and extractor (``--pages``): to read the worst pages of a change."""
    return {
        run_name: {name: [asdict(score) for score in scores] for name, scores in run.scores.items()}
        for run_name, run in (("all pages", full), ("metadata stripped", stripped))
    }


def _fmt(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value:.3f}" if isinstance(value, float) else str(value)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=CORPUS_DIR)
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    parser.add_argument(
        "--save-baseline", action="store_true", help=f"store this run's figures in {BASELINE.name}"
    )
    parser.add_argument(
        "--rounds", type=int, default=ROUNDS, help=f"times each page is timed per extractor (default {ROUNDS})"
    )
    parser.add_argument(
        "--pages", type=Path, help="also write every page's scores, by run and extractor, to this JSON file"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    logging.getLogger("arabpress_crawler").setLevel(logging.ERROR)
    logging.getLogger("trafilatura").setLevel(logging.ERROR)
    logging.getLogger("htmldate").setLevel(logging.ERROR)
    if not available(args.corpus):
        print(SKIP_MESSAGE)
        return 0
    cases = load_cases(args.corpus)
    full, stripped = measure(cases, args.rounds)
    if args.save_baseline:
        BASELINE.write_text(json.dumps(baseline_data(full, stripped), indent=2) + "\n", encoding="utf-8")
    baseline = json.loads(BASELINE.read_text(encoding="utf-8")) if BASELINE.exists() else None
    args.output.write_text(render(full, stripped, len(cases), baseline, args.rounds), encoding="utf-8")
    if args.pages:
        args.pages.write_text(json.dumps(page_scores(full, stripped), indent=1) + "\n", encoding="utf-8")
        print(f"wrote {args.pages}")
    for name, figure, holds in targets(full, stripped):
        print(f"{'ok ' if holds else 'NO '} {name}: {figure}")
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
