"""How ``stentguide cases stats`` prints its rates: a table, or JSON for a program."""

from __future__ import annotations

from typing import Any

from rich.markup import escape
from rich.table import Table

from stentguide.cli._common import OutputFormat, console, print_json

__all__ = ["print_stats"]


def print_stats(comparisons: list[Any], fmt: OutputFormat, method: str) -> None:
    """The rates of ``cases stats`` as a table beside the published figures, or as JSON."""
    if fmt is OutputFormat.json:
        print_json(
            [
                {
                    "metric": c.rate.metric,
                    "label": c.rate.label,
                    "group": c.rate.group,
                    "events": c.rate.events,
                    "total": c.rate.total,
                    "percent": c.rate.percent,
                    "ci95_percent": c.rate.ci_percent,
                    "interval": c.rate.method.value,
                    "literature": [f.model_dump(mode="json") for f in c.figures],
                }
                for c in comparisons
            ]
        )
        return
    table = Table(title=f"Complication rates ({method} 95% CI) beside the literature")
    for column in ("metric", "group", "events / total", "rate", "95% CI", "published"):
        table.add_column(column)
    for c in comparisons:
        r = c.rate
        if not r.total or (not r.events and not c.figures):
            continue
        low, high = r.ci_percent or (0.0, 0.0)
        published = "\n".join(
            (
                f"{f.percent}%"
                if f.percent is not None
                else f"{f.range_percent[0]}-{f.range_percent[1]}%"
                if f.range_percent
                else ""
            )
            + f" {f.label} [{', '.join(f.sources)}; {f.confidence} confidence]"
            for f in c.figures
        )
        table.add_row(
            escape(r.label),
            escape(r.group or "all"),
            f"{r.events} / {r.total}",
            f"{r.percent:.2f}%",
            f"{low:.2f}-{high:.2f}%",
            escape(published) or "-",
        )
    console.print(table)
