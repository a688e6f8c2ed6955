"""Clinical content shipped with the package, as data.

Everything here is read through :func:`knowledge_path` and :func:`read_yaml` so
that the CLI, the web app, the docs and the tests share one way in. Nothing is
read at import time.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from stentguide.errors import KnowledgeError, StentguideError, UnknownNameError

__all__ = [
    "knowledge_path",
    "load_library",
    "lookup",
    "parse_yaml",
    "read_yaml",
    "validate_data",
]

ModelT = TypeVar("ModelT", bound=BaseModel)
ItemT = TypeVar("ItemT")

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


def _item_id(items: Any, index: int) -> str | None:
    if isinstance(items, list) and index < len(items):
        item = items[index]
        if isinstance(item, dict) and isinstance(item.get("id"), str):
            return str(item["id"])
    return None


def _locate(
    raw: Any, loc: tuple[int | str, ...], names: Mapping[str, str], skip: Collection[str]
) -> str:
    """A pydantic error location in words, naming list items by their ``id``."""
    parts: list[str] = []
    rest: list[str] = []
    container = raw
    index = 0
    while index < len(loc):
        key = loc[index]
        nxt = loc[index + 1] if index + 1 < len(loc) else None
        if isinstance(key, str) and key in names and isinstance(nxt, int) and not rest:
            items = container.get(key) if isinstance(container, dict) else None
            found = _item_id(items, nxt)
            parts.append(f"{names[key]} {found!r}" if found else f"{names[key]} #{nxt + 1}")
            container = items[nxt] if found and isinstance(items, list) else None
            index += 2
            continue
        if not (isinstance(key, str) and key in skip):
            rest.append(str(key))
        index += 1
    if rest:
        parts.append(".".join(rest))
    return " ".join(parts) or "top level"


def validate_data(
    model: type[ModelT],
    raw: Any,
    origin: str,
    *,
    error: type[StentguideError] = KnowledgeError,
    names: Mapping[str, str] | None = None,
    skip: Collection[str] = (),
) -> ModelT:
    """Validate parsed data as ``model``; one ``error`` naming ``origin`` and every problem.

    ``names`` maps list fields to the word for their items (``{"nodes": "node"}``), so a
    problem reads "node 'en-bloc' answers.0.next" rather than "nodes.3.answers.0.next";
    ``skip`` drops location parts that mean nothing to an author (union tags).
    """
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        reasons = "; ".join(
            f"{_locate(raw, tuple(e['loc']), names or {}, skip)}: {e['msg']}" for e in exc.errors()
        )
        raise error(f"{origin}: {reasons}") from None


def load_library(
    folder: str,
    load_file: Callable[[Path], ItemT],
    id_of: Callable[[ItemT], str],
    *,
    kind: str,
    error: type[StentguideError] = KnowledgeError,
    skip: Collection[str] = (),
) -> dict[str, ItemT]:
    """Every ``*.yaml`` file of a knowledge ``folder``, loaded, by id, in file-name order.

    The one loader shape of the content areas (pathways, training cases, scores):
    ``load_file`` reads and validates one file; an id used twice is an ``error``
    naming the file. ``skip`` names files of the folder that are not items.
    """
    items: dict[str, ItemT] = {}
    for path in sorted(knowledge_path(folder).glob("*.yaml")):
        if path.name in skip:
            continue
        item = load_file(path)
        key = id_of(item)
        if key in items:
            raise error(f"{path.name}: {kind} id {key!r} is used twice")
        items[key] = item
    return items


def lookup(items: Mapping[str, ItemT], name: str, kind: str) -> ItemT:
    """The item called ``name``; :class:`UnknownNameError` with close names otherwise."""
    try:
        return items[name]
    except KeyError:
        raise UnknownNameError(kind, name, items) from None
