"""The progress callback long core operations accept.

A core function that can run for more than a second (scoring a file, making a
demo registry, exporting or importing cases) takes ``progress``: a callable
called now and then with ``(done, total)``, ``total`` being ``None`` while it is
not known. The core never draws anything; each face renders it its own way.
"""

from __future__ import annotations

from collections.abc import Callable

__all__ = ["Progress"]

Progress = Callable[[int, int | None], None]
