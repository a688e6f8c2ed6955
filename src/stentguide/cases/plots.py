"""Dashboard plots: each registry rate with its 95% interval beside the published figures.

Drawn with matplotlib's object API (no global pyplot state, no display), as
PNG for the command line and SVG for the web dashboard.
"""

from __future__ import annotations

import io
from typing import Literal

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from stentguide.cases.analytics import Comparison

__all__ = ["rates_plot"]


def rates_plot(
    comparisons: list[Comparison], fmt: Literal["png", "svg"] = "png", *, note: str | None = None
) -> bytes:
    """A forest plot of the rates that have events or published figures.

    Ungrouped rates when there are any; else (rates by year, operator or access)
    one row per metric and group, labelled with the group.

    ``note`` is printed under the title (e.g. that the cases are synthetic), so that the
    plot cannot travel without it.
    """
    shown = [c for c in comparisons if c.rate.total and (c.figures or c.rate.events)]
    if any(c.rate.group is None for c in shown):
        shown = [c for c in shown if c.rate.group is None]
    height = 1.2 + 0.55 * max(len(shown), 1)
    figure = Figure(figsize=(8, height), layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    for row, comparison in enumerate(reversed(shown)):
        rate = comparison.rate
        low, high = rate.ci_percent or (0.0, 0.0)
        value = rate.percent or 0.0
        axes.errorbar(
            [value],
            [row],
            xerr=[[value - low], [high - value]],
            fmt="o",
            color="tab:blue",
            capsize=3,
            label=f"this registry ({rate.method.label} 95% CI)" if row == 0 else None,
        )
        for figure_no, published in enumerate(comparison.figures):
            offset = row - 0.18 - 0.08 * figure_no
            if published.percent is not None:
                axes.plot(
                    [published.percent],
                    [offset],
                    marker="D",
                    color="tab:orange",
                    linestyle="none",
                    label="published" if row == 0 and figure_no == 0 else None,
                )
            if published.bounds is not None:
                axes.hlines(offset, *published.bounds, color="tab:orange", linewidth=1)
    axes.set_yticks(
        range(len(shown)),
        [
            c.rate.label if c.rate.group is None else f"{c.rate.label}, {c.rate.group}"
            for c in reversed(shown)
        ],
    )
    axes.set_xscale("symlog", linthresh=1.0)
    axes.set_xlim(0, 100)
    axes.set_xlabel("percent (symmetric log scale)")
    axes.set_title("Complication rates beside the published figures")
    if note:
        figure.suptitle(note, color="tab:red", fontsize="medium")
    if shown:
        axes.legend(loc="center right", fontsize="small")
    buffer = io.BytesIO()
    figure.savefig(buffer, format=fmt, metadata={"Date": None} if fmt == "svg" else None)
    return buffer.getvalue()
