"""The benchmark harness of arabpress-crawler (issue 7): ``make bench`` runs :mod:`bench.run`.

It measures the project side by side with references in one run (a bare Scrapy spider, trafilatura),
as ratios, since absolute times vary from machine to machine, and writes ``docs/benchmarks.md``.

Modules:

* :mod:`bench.stats` — repeat a measurement, median/min/max and percentiles;
* :mod:`bench.machine` — the machine and the versions the figures were taken with;
* :mod:`bench.process` — run a command in its own process, with wall time and peak RSS;
* :mod:`bench.report` — the figures, their targets and the Markdown writer;
* :mod:`bench.extraction` — extraction cost per page (site layer, generic layer, trafilatura);
* :mod:`bench.bare_spider` — the bare Scrapy spider the full crawl is compared with;
* :mod:`bench.mirror` — generated mirrors (cached) and the mirror server in its own process;
* :mod:`bench.crawls` — throughput ratio, incremental cost, crawl memory and the scale curve;
* :mod:`bench.storage` — store insert rate at scale and export memory.

Scratch files (mirrors, databases, logs) go to ``bench/out/`` (git-ignored).
"""

from __future__ import annotations

from pathlib import Path

#: The repository root (``bench/`` sits in it).
ROOT = Path(__file__).resolve().parent.parent
#: Scratch space: generated mirrors, databases, exports and logs.
OUT_DIR = ROOT / "bench" / "out"
#: The document ``make bench`` writes.
DOC_PATH = ROOT / "docs" / "benchmarks.md"
