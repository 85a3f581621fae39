"""Repeat a measurement and summarise it: median with min and max, and percentiles of samples."""

from __future__ import annotations

import logging
import math
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass

logger = logging.getLogger(__name__)

#: Every figure of the document is the median of at least this many runs (issue 7).
MIN_RUNS = 3
#: Units written right after the number (``0.85×``).
TIGHT_UNITS = frozenset({"×", "%"})


@dataclass(frozen=True)
class Summary:
    """The median of several runs of one measurement, with the smallest and largest run."""

    median: float
    minimum: float
    maximum: float
    runs: int

    def format(self, digits: int = 1, unit: str = "") -> str:
        """``12.3 (min 11.9, max 13.0, 3 runs)``; a single run prints only its value."""
        suffix = unit if unit in TIGHT_UNITS else f" {unit}" if unit else ""
        value = f"{self.median:,.{digits}f}{suffix}"
        if self.runs == 1:
            return f"{value} (1 run)"
        return f"{value} (min {self.minimum:,.{digits}f}, max {self.maximum:,.{digits}f}, {self.runs} runs)"

    def scaled(self, factor: float) -> Summary:
        """The same summary in another unit (e.g. seconds to milliseconds)."""
        return Summary(self.median * factor, self.minimum * factor, self.maximum * factor, self.runs)


def summarize(values: Sequence[float]) -> Summary:
    """Median, min and max of ``values`` (at least one)."""
    if not values:
        raise ValueError("cannot summarise no values")
    return Summary(
        median=float(statistics.median(values)),
        minimum=float(min(values)),
        maximum=float(max(values)),
        runs=len(values),
    )


def percentile(values: Sequence[float], share: float) -> float:
    """The ``share`` (0–1) percentile of ``values`` by the nearest-rank method (p95: ``share=0.95``)."""
    if not values:
        raise ValueError("no values for a percentile")
    if not 0 < share <= 1:
        raise ValueError(f"share must be in (0, 1], not {share}")
    ordered = sorted(values)
    rank = math.ceil(share * len(ordered))
    return float(ordered[rank - 1])


def repeat(measure: Callable[[int], float], runs: int = MIN_RUNS) -> Summary:
    """Call ``measure(run_index)`` ``runs`` times and summarise what it returns."""
    if runs < 1:
        raise ValueError("runs must be at least 1")
    values = []
    for index in range(runs):
        value = measure(index)
        logger.debug("run %d of %d: %s", index + 1, runs, value)
        values.append(value)
    return summarize(values)


def ratio(numerator: Summary, denominator: Summary) -> float:
    """The ratio of two medians (0 when the denominator is 0)."""
    return numerator.median / denominator.median if denominator.median else 0.0
