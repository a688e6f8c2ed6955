"""Dashboard plots: each registry rate with its 95% interval beside the published figures.

SVG (the web dashboard, ``cases stats --plot rates.svg``) is written directly by
:mod:`stentguide.cases.rates_svg`, without a plotting library: about a
millisecond, so a dashboard right after a new case does not wait for a drawing.
PNG (``cases stats --plot rates.png``) is drawn with matplotlib's object API (no
global pyplot state, no display), imported only when a PNG is asked for; a PNG
already drawn for the same numbers is handed back without drawing again.
"""

from __future__ import annotations

import functools
import io
from typing import Literal

from stentguide.cases.analytics import Comparison
from stentguide.cases.rates_svg import TITLE, PlotRow, rates_svg

__all__ = ["PLOT_CACHE_SIZE", "draw_png", "plot_rows", "rates_plot"]


def plot_rows(comparisons: list[Comparison]) -> tuple[PlotRow, ...]:
    """The rows a plot of ``comparisons`` shows, top to bottom.

    The rates that have events or published figures: ungrouped rates when there are
    any; else (rates by year, operator or access) one row per metric and group,
    labelled with the group.
    """
    shown = [c for c in comparisons if c.rate.total and (c.figures or c.rate.events)]
    if any(c.rate.group is None for c in shown):
        shown = [c for c in shown if c.rate.group is None]
    rows = []
    for comparison in shown:
        rate = comparison.rate
        low, high = rate.ci_percent or (0.0, 0.0)
        rows.append(
            PlotRow(
                rate.label if rate.group is None else f"{rate.label}, {rate.group}",
                rate.percent or 0.0,
                low,
                high,
                rate.method.label,
                tuple((f.percent, f.bounds) for f in comparison.figures),
            )
        )
    return tuple(rows)


def rates_plot(
    comparisons: list[Comparison], fmt: Literal["png", "svg"] = "png", *, note: str | None = None
) -> bytes:
    """A forest plot of the rates that have events or published figures (see :func:`plot_rows`).

    ``note`` is printed under the title (e.g. that the cases are synthetic), so that the
    plot cannot travel without it. The SVG is sized for a file (720 pixels wide); the
    web dashboard writes it with :func:`~stentguide.cases.rates_svg.rates_svg` at the
    width of the page.
    """
    rows = plot_rows(comparisons)
    if fmt == "svg":
        svg = rates_svg(rows, note, width="720")
        return f'<?xml version="1.0" encoding="utf-8"?>\n{svg}\n'.encode()
    return draw_png(rows, note)


PLOT_CACHE_SIZE = 32


@functools.lru_cache(maxsize=PLOT_CACHE_SIZE)
def draw_png(rows: tuple[PlotRow, ...], note: str | None) -> bytes:
    """The plot of ``rows`` (top to bottom) as PNG, drawn by matplotlib; kept by lru_cache."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter

    height = 1.2 + 0.55 * max(len(rows), 1)
    figure = Figure(figsize=(8, height), layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    for y, row in enumerate(reversed(rows)):
        axes.errorbar(
            [row.value],
            [y],
            xerr=[[row.value - row.low], [row.high - row.value]],
            fmt="o",
            color="tab:blue",
            capsize=3,
            label=f"this registry ({row.method} 95% CI)" if y == 0 else None,
        )
        for figure_no, (percent, bounds) in enumerate(row.published):
            offset = y - 0.18 - 0.08 * figure_no
            if percent is not None:
                axes.plot(
                    [percent],
                    [offset],
                    marker="D",
                    color="tab:orange",
                    linestyle="none",
                    label="published" if y == 0 and figure_no == 0 else None,
                )
            if bounds is not None:
                axes.hlines(offset, *bounds, color="tab:orange", linewidth=1)
    axes.set_yticks(range(len(rows)), [row.label for row in reversed(rows)])
    axes.set_xscale("symlog", linthresh=1.0)
    axes.set_xlim(0, 100)
    # plain numbers (0, 1, 10, 100), not the scale's typeset powers of ten: typesetting
    # the tick labels took most of the drawing time
    axes.xaxis.set_major_formatter(FuncFormatter(lambda value, _pos: f"{value:g}"))
    axes.set_xlabel("percent (symmetric log scale)")
    axes.set_title(TITLE)
    if note:
        figure.suptitle(note, color="tab:red", fontsize="medium")
    if rows:
        axes.legend(loc="center right", fontsize="small")
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
