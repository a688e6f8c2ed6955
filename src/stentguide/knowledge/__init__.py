"""Clinical content shipped with the package, as data.

Everything here is read through :func:`knowledge_path` so that the CLI, the web
app, the docs and the tests share one way in. Nothing is read at import time.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

__all__ = ["knowledge_path"]


def knowledge_path(*parts: str) -> Path:
    """Return the path of a file or folder under ``stentguide/knowledge``."""
    root = resources.files("stentguide.knowledge")
    return Path(str(root.joinpath(*parts)))
