"""One process-wide pause of Python's cyclic garbage collector.

Work that makes tens of thousands of containers in a burst (validating a chunk
of cases, laying out a leaflet PDF) otherwise sets off collections in the middle
of it: each walks the young objects the work still holds, moves them to older
generations, and every few bursts that sets off a full collection that walks
every live object of the process. Pausing the collector for the burst skips
that; reference counting still frees what is not in a cycle, and what is can be
freed in one young-generation pass when the burst ends (``gc.collect(0)``).

Nested and concurrent pauses share one switch: collection resumes when the last
pause ends, if it was on before the first.
"""

from __future__ import annotations

import gc
import threading

__all__ = ["CyclicGcPause", "cyclic_gc_paused"]


class CyclicGcPause:
    """A context manager: no automatic cyclic garbage collection inside it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pauses = 0
        self._was_enabled = False

    def __enter__(self) -> None:
        with self._lock:
            if self._pauses == 0:
                self._was_enabled = gc.isenabled()
                gc.disable()
            self._pauses += 1

    def __exit__(self, *_exc: object) -> None:
        with self._lock:
            self._pauses -= 1
            if self._pauses == 0 and self._was_enabled:
                gc.enable()


cyclic_gc_paused = CyclicGcPause()
"""The process's one pause: every caller uses this object, so that pauses nest."""
