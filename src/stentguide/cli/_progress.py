"""Progress on long work: a bar on a terminal's stderr, nothing in a pipe.

The core reports progress through a plain callback ``(done, total)``
(:data:`stentguide.progress.Progress`); this module renders it with Rich. A
total not yet known shows as a pulsing bar and "?".
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from stentguide.cli._common import err_console
from stentguide.progress import Progress

__all__ = ["progress_bar"]


def _quiet(done: int, total: int | None) -> None:
    """The callback used in a pipe: does nothing."""


@contextmanager
def progress_bar(label: str, unit: str | None) -> Iterator[Progress]:
    """Yield a ``(done, total)`` callback that draws a transient bar on a terminal only.

    With a ``unit`` the bar shows ``done/total unit``; without, a percentage (for
    work counted in steps rather than things).
    """
    if not err_console.is_terminal:
        yield _quiet
        return
    from rich import progress as rp
    from rich.text import Text

    class Count(rp.ProgressColumn):
        """``12,000/1,000,000 rows``; ``12,000/? rows`` while the total is unknown."""

        def render(self, task: rp.Task) -> Text:
            total = f"{int(task.total):,}" if task.total is not None else "?"
            return Text(f"{int(task.completed):,}/{total} {unit}")

    with rp.Progress(
        rp.TextColumn(label, markup=False),
        rp.BarColumn(),
        Count() if unit is not None else rp.TaskProgressColumn(),
        rp.TimeElapsedColumn(),
        rp.TimeRemainingColumn(),
        console=err_console,
        transient=True,
    ) as bar:
        task = bar.add_task(label, total=None)

        def update(done: int, total: int | None) -> None:
            bar.update(task, completed=done, total=total)

        yield update
