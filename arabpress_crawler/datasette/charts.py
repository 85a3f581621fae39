"""Small server-side SVG charts for the datasette chart page (no JavaScript, no CDN: works offline).

Every mark carries its figure in a ``<title>`` (tooltip) and ``data-*`` attributes, so the chart is
readable by people, screen readers and tests alike.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

logger = logging.getLogger(__name__)

WIDTH = 860
HEIGHT = 220
MARGIN_LEFT = 44
MARGIN_RIGHT = 12
MARGIN_TOP = 14
MARGIN_BOTTOM = 34
BAR_GAP = 1.0
#: About how many x-axis labels a chart shows, whatever the number of points.
X_LABELS = 8
BAR_COLOUR = "#2b6cb0"
SERIES_COLOURS = ("#2b6cb0", "#2f855a", "#b7791f", "#805ad5", "#c53030")
#: Lines drawn widest first: where series coincide (all 100%), each still shows as a stripe of its colour.
SERIES_WIDTHS = (9.0, 6.5, 4.5, 2.75, 1.25)
NO_DATA_COLOUR = "#a0aec0"
BAD_STATUS_COLOUR = "#c53030"
GOOD_STATUS_COLOUR = "#2f855a"


@dataclass(frozen=True)
class Series:
    """One line of a line chart: a name and one value in [0, 1] (or None) per x position."""

    name: str
    values: Sequence[float | None]


def _plot_box() -> tuple[float, float, float, float]:
    return MARGIN_LEFT, MARGIN_TOP, WIDTH - MARGIN_LEFT - MARGIN_RIGHT, HEIGHT - MARGIN_TOP - MARGIN_BOTTOM


def _svg_open(label: str, kind: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="arabpress-chart" data-chart="{escape(kind)}" '
        f'role="img" aria-label="{escape(label)}" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'width="100%" preserveAspectRatio="xMidYMid meet">'
    )


def _label_every(count: int) -> int:
    return max(1, -(-count // X_LABELS))


def _axes(y_max_label: str) -> str:
    left, top, width, height = _plot_box()
    bottom = top + height
    return (
        f'<line x1="{left}" y1="{bottom}" x2="{left + width}" y2="{bottom}" stroke="#888"/>'
        f'<line x1="{left}" y1="{top}" x2="{left}" y2="{bottom}" stroke="#888"/>'
        f'<text x="{left - 6}" y="{top + 4}" text-anchor="end" font-size="11">{escape(y_max_label)}</text>'
        f'<text x="{left - 6}" y="{bottom}" text-anchor="end" font-size="11">0</text>'
    )


def _x_label(x: float, text: str) -> str:
    _, top, _, height = _plot_box()
    return f'<text x="{x:.1f}" y="{top + height + 16}" text-anchor="middle" font-size="11">{escape(text)}</text>'


def bar_chart(points: Sequence[tuple[str, int]], *, label: str, unit: str = "articles") -> str:
    """An SVG bar chart of ``(x label, count)`` points, e.g. articles per day."""
    if not points:
        return f'<p class="arabpress-empty">No data yet for {escape(label)}.</p>'
    left, top, width, height = _plot_box()
    peak = max(count for _, count in points) or 1
    step = width / len(points)
    every = _label_every(len(points))
    parts = [_svg_open(label, "bars"), _axes(str(peak))]
    for index, (name, count) in enumerate(points):
        bar_height = height * count / peak
        x = left + index * step
        parts.append(
            f'<rect class="bar" x="{x + BAR_GAP / 2:.1f}" y="{top + height - bar_height:.1f}" '
            f'width="{max(step - BAR_GAP, 0.5):.1f}" height="{bar_height:.1f}" fill="{BAR_COLOUR}" '
            f'data-x="{escape(name)}" data-value="{count}"><title>{escape(name)}: {count} {escape(unit)}</title></rect>'
        )
        if index % every == 0:
            parts.append(_x_label(x + step / 2, name))
    parts.append("</svg>")
    return "".join(parts)


def line_chart(x_labels: Sequence[str], series: Sequence[Series], *, label: str,
               bad: Sequence[bool] = ()) -> str:
    """An SVG line chart of shares in [0, 1] over ``x_labels`` (e.g. runs); ``bad`` marks failed runs."""
    if not x_labels:
        return f'<p class="arabpress-empty">No data yet for {escape(label)}.</p>'
    left, top, width, height = _plot_box()
    step = width / max(len(x_labels) - 1, 1)
    every = _label_every(len(x_labels))

    def point(index: int, value: float) -> tuple[float, float]:
        return left + index * step, top + height * (1 - min(max(value, 0.0), 1.0))

    parts = [_svg_open(label, "lines"), _axes("100%")]
    for number, line in enumerate(series):
        colour = SERIES_COLOURS[number % len(SERIES_COLOURS)]
        stroke = SERIES_WIDTHS[number % len(SERIES_WIDTHS)]
        coords = [(i, v) for i, v in enumerate(line.values) if v is not None]
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in (point(i, v) for i, v in coords))
        parts.append(f'<polyline class="series" data-series="{escape(line.name)}" points="{path}" '
                     f'fill="none" stroke="{colour}" stroke-width="{stroke}" stroke-linejoin="round"/>')
        for index, value in coords:
            x, y = point(index, value)
            parts.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{stroke / 2 + 1:.2f}" fill="{colour}" '
                f'data-series="{escape(line.name)}" data-value="{value:.3f}"><title>{escape(x_labels[index])} '
                f'{escape(line.name)}: {value:.0%}</title></circle>'
            )
    for index, name in enumerate(x_labels):  # a run nothing was measured in still shows
        if all(index >= len(line.values) or line.values[index] is None for line in series):
            x, y = point(index, 0.0)
            parts.append(f'<rect class="no-data" x="{x - 5:.1f}" y="{y - 5:.1f}" width="10" height="10" '
                         f'fill="none" stroke="{NO_DATA_COLOUR}" stroke-width="2"><title>{escape(name)}: no '
                         f'articles extracted, nothing to measure</title></rect>')
    for index, name in enumerate(x_labels):
        if index % every == 0:
            parts.append(_x_label(left + index * step, name))
        if index < len(bad):
            colour = BAD_STATUS_COLOUR if bad[index] else GOOD_STATUS_COLOUR
            parts.append(f'<rect class="status" x="{left + index * step - 3:.1f}" y="{top + height + 2}" '
                         f'width="6" height="4" fill="{colour}"/>')
    parts.append("</svg>")
    return "".join(parts)


def legend(series: Sequence[Series]) -> str:
    """An HTML legend for :func:`line_chart`'s series."""
    items = []
    for number, line in enumerate(series):
        colour = SERIES_COLOURS[number % len(SERIES_COLOURS)]
        items.append(f'<li><span class="swatch" style="background:{colour}"></span>{escape(line.name)}</li>')
    return '<ul class="arabpress-legend">' + "".join(items) + "</ul>"
