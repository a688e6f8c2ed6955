"""The rates plot written as SVG: each rate with its 95% interval beside the published figures.

A forest plot: one row per rate, its label and its numbers written above a line
from the low to the high end of the 95% interval with a dot at the rate (blue),
and under it each published figure (orange diamond at the figure, orange line
over its interval or range). Percent runs on a symmetric log scale, linear up to
1% and logarithmic above, as matplotlib's ``symlog`` with ``linthresh=1``, so
that rates of 0.2% and of 90% can be read on one axis.

Horizontal positions are percentages of the image's width and text has a fixed
size, so the plot stretches to any width, a phone's included, without making its
text smaller; heights are fixed. The image carries a ``<title>`` and a
``<desc>`` that names every rate, its interval and the published figures, and
``role="img"`` so that a screen reader reads them. Writing it is plain string
formatting, about a millisecond for a dashboard, so nothing needs to be kept.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Iterable
from typing import NamedTuple
from xml.sax.saxutils import escape, quoteattr

__all__ = ["TITLE", "PlotRow", "rates_svg"]

TITLE = "Complication rates beside the published figures"
BLUE = "#1f77b4"
ORANGE = "#ff7f0e"
RED = "#d62728"
INK = "#222222"
MUTED = "#555555"
GRID = "#dddddd"
FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", "Liberation Sans", sans-serif'
TICKS = (0.0, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0)
_LEFT, _RIGHT = 3.0, 95.0  # the axis from 0% to 100%, in percent of the image's width
_NOTE_WRAP = 46  # characters a line of the note holds at phone width
_TITLE_WRAP = 34
_ROW_LABEL, _ROW_NUMBERS, _ROW_BAR, _FIGURE_STEP, _ROW_GAP = 18, 17, 14, 9, 14


class PlotRow(NamedTuple):
    """What one row of the plot shows: a rate, its interval and the published figures.

    ``published`` holds, per figure, its percent (``None`` for a range only) and its
    interval or range (``None`` when it has none).
    """

    label: str
    value: float
    low: float
    high: float
    method: str
    published: tuple[tuple[float | None, tuple[float, float] | None], ...]


def _scale(percent: float) -> float:
    """matplotlib's symlog transform with linthresh 1, base 10, linscale 1."""
    linear = 1 / (1 - 1 / 10)
    value = min(max(percent, 0.0), 100.0)
    return value * linear if value <= 1 else linear + math.log10(value)


def _x(percent: float) -> str:
    share = _scale(percent) / _scale(100.0)
    return f"{_LEFT + (_RIGHT - _LEFT) * share:.2f}%"


def _number(value: float) -> str:
    return f"{value:.2f}%"


def _figure_text(percent: float | None, bounds: tuple[float, float] | None) -> str:
    spread = f"{bounds[0]:g}-{bounds[1]:g}%" if bounds else ""
    if percent is None:
        return f"range {spread}"
    return f"{percent:g}%" + (f" ({spread})" if spread else "")


def _row_text(row: PlotRow) -> str:
    return f"{_number(row.value)} (95% CI {_number(row.low)} to {_number(row.high)})"


def _description(rows: tuple[PlotRow, ...], note: str | None) -> str:
    parts = [f"{note}." if note else ""]
    methods = sorted({row.method for row in rows})
    parts.append(
        "Each rate of this registry with its 95% interval "
        f"({', '.join(methods) or 'Wilson'}), beside the published figures."
    )
    for row in rows:
        published = "; ".join(_figure_text(p, b) for p, b in row.published)
        parts.append(
            f"{row.label}: {_row_text(row)}"
            + (f", published {published}." if published else ", no published figure.")
        )
    return " ".join(part for part in parts if part)


def _text(x: str, y: float, content: str, **attributes: str) -> str:
    extra = "".join(f" {name.replace('_', '-')}={quoteattr(v)}" for name, v in attributes.items())
    return f'<text x="{x}" y="{y:g}"{extra}>{escape(content)}</text>'


def _line(x1: str, y1: float, x2: str, y2: float, colour: str, width: float) -> str:
    return (
        f'<line x1="{x1}" y1="{y1:g}" x2="{x2}" y2="{y2:g}" '
        f'stroke="{colour}" stroke-width="{width:g}"/>'
    )


def _dot(x: str, y: float) -> str:
    return f'<circle cx="{x}" cy="{y:g}" r="4.5" fill="{BLUE}"/>'


_DIAMOND_ID = "rates-plot-diamond"
_DIAMOND = (
    f'<defs><path id="{_DIAMOND_ID}" d="M0 -5.5L5.5 0L0 5.5L-5.5 0Z" fill="{ORANGE}"/></defs>'
)


def _diamond(x: str, y: float) -> str:
    # a <use> can be placed at a position given in percent, a path's points cannot
    return f'<use href="#{_DIAMOND_ID}" x="{x}" y="{y:g}"/>'


def _registry_interval(row: PlotRow, y: float) -> Iterable[str]:
    low, high = _x(row.low), _x(row.high)
    yield _line(low, y, high, y, BLUE, 2)
    for end in (low, high):
        yield _line(end, y - 4, end, y + 4, BLUE, 2)
    yield _dot(_x(row.value), y)


def _published(row: PlotRow, y: float) -> Iterable[str]:
    for number, (percent, bounds) in enumerate(row.published):
        at = y + _FIGURE_STEP * (number + 1)
        if bounds is not None:
            yield _line(_x(bounds[0]), at, _x(bounds[1]), at, ORANGE, 1.5)
        if percent is not None:
            yield _diamond(_x(percent), at)


def _legend(y: float, methods: str) -> Iterable[str]:
    yield _line("8", y - 4, "30", y - 4, BLUE, 2)
    yield _dot("19", y - 4)
    yield _text("38", y, f"this registry, {methods} 95% CI", font_size="13", fill=INK)
    y += 18
    yield _line("8", y - 4, "30", y - 4, ORANGE, 1.5)
    yield _diamond("19", y - 4)
    yield _text("38", y, "published figure, its interval or range", font_size="13", fill=INK)


def rates_svg(rows: tuple[PlotRow, ...], note: str | None = None, *, width: str = "100%") -> str:
    """The plot of ``rows`` (top to bottom) as an ``<svg>`` element, to inline in a page.

    ``note`` is written in red under the title (e.g. that the cases are synthetic), so
    that the plot cannot travel without it. ``width`` is the image's width: ``"100%"``
    to fill its container on a web page, or a number of pixels for a file.
    """
    body: list[str] = []
    y = 2.0
    for line in textwrap.wrap(TITLE, _TITLE_WRAP):
        y += 20
        body.append(_text("8", y, line, font_size="16", font_weight="600", fill=INK))
    for line in textwrap.wrap(note or "", _NOTE_WRAP):
        y += 18
        body.append(_text("8", y, line, font_size="13", fill=RED))
    methods = ", ".join(sorted({row.method for row in rows})) or "Wilson"
    body.extend(_legend(y + 24, methods))
    y += 24 + 18 + 16
    top = y
    marks: list[str] = []
    for row in rows:
        y += _ROW_LABEL
        marks.append(_text("8", y, row.label, font_size="14", font_weight="600", fill=INK))
        y += _ROW_NUMBERS
        marks.append(_text("8", y, _row_text(row), font_size="13", fill=MUTED))
        y += _ROW_BAR
        marks.extend(_registry_interval(row, y))
        marks.extend(_published(row, y))
        y += _FIGURE_STEP * len(row.published) + _ROW_GAP
    if not rows:
        y += 20
        marks.append(_text("8", y, "No rate to show.", font_size="13", fill=MUTED))
        y += 10
    axis = y + 4
    for tick in TICKS:
        x = _x(tick)
        body.append(_line(x, top, x, axis, GRID, 1))
        body.append(_line(x, axis, x, axis + 5, INK, 1))
        label = f"{tick:g}"
        body.append(_text(x, axis + 19, label, font_size="12", fill=INK, text_anchor="middle"))
    body.append(_line(_x(0), axis, _x(100), axis, INK, 1))
    body.append(
        _text(
            "50%",
            axis + 38,
            "percent (symmetric log scale)",
            font_size="13",
            fill=INK,
            text_anchor="middle",
        )
    )
    height = axis + 48
    description = _description(rows, note)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height:g}" '
        f'role="img" aria-labelledby="rates-plot-title rates-plot-desc" '
        f"font-family={quoteattr(FONT)}>"
        f'<title id="rates-plot-title">{escape(TITLE)}</title>'
        f'<desc id="rates-plot-desc">{escape(description)}</desc>'
        f'<rect width="100%" height="100%" fill="#ffffff"/>{_DIAMOND}'
        + "".join(body)
        + "".join(marks)
        + "</svg>"
    )
