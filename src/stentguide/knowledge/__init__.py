"""Clinical content shipped with the package, as data.

Everything here is read through :func:`knowledge_path` and :func:`read_yaml` so
that the CLI, the web app, the docs and the tests share one way in. Nothing is
read at import time.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from stentguide.errors import KnowledgeError, StentguideError

__all__ = ["knowledge_path", "parse_yaml", "read_yaml"]

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def knowledge_path(*parts: str) -> Path:
    """Return the path of a file or folder under ``stentguide/knowledge``."""
    root = resources.files("stentguide.knowledge")
    return Path(str(root.joinpath(*parts)))


def parse_yaml(text: str, origin: str, *, error: type[StentguideError] = KnowledgeError) -> Any:
    """Parse YAML (or JSON) text safely; ``error`` names ``origin`` when it is not valid."""
    try:
        return yaml.load(text, Loader=_LOADER)
    except yaml.YAMLError as exc:
        raise error(f"{origin}: not valid YAML: {exc}") from None


def read_yaml(
    path: Path, *, origin: str | None = None, error: type[StentguideError] = KnowledgeError
) -> Any:
    """Read and parse a YAML file; ``error`` names the file when it is missing or invalid."""
    where = origin or path.name
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise error(f"{where}: cannot read: {exc.strerror or exc}") from None
    return parse_yaml(text, where, error=error)
