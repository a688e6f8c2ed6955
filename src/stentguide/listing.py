"""Quick listings of the shipped library: scores and pathways, read from their files.

``stentguide score list`` and ``stentguide protocols list`` answer in about the
time Python takes to start, so they read only the few header fields they show
(name, title, purpose...) from each data file, without building and validating
every model and without importing NumPy or Polars. Everything else (showing,
running, scoring) goes through the validated catalogues, and the tests check
that these listings say exactly what the validated catalogues say.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from stentguide.errors import KnowledgeError
from stentguide.knowledge import knowledge_path, parse_yaml, read_yaml

__all__ = ["ProtocolListing", "ScoreListing", "protocol_listing", "score_listing"]

_WITHHELD_FILE = "withheld.yaml"
_SCORE_KEYS = frozenset({"name", "title", "purpose", "kind"})
_WITHHELD_KEYS = frozenset({"name", "title", "reason"})
_PROTOCOL_KEYS = frozenset({"id", "version", "title", "when_to_use"})


@dataclass(frozen=True)
class ScoreListing:
    """A line of the score catalogue (the fields of :class:`stentguide.risk.ScoreInfo`)."""

    name: str
    title: str
    available: bool
    purpose: str | None = None
    kind: str | None = None
    reason: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class ProtocolListing:
    """A line of the pathway library."""

    id: str
    version: str
    title: str
    when_to_use: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _field(data: Any, key: str, origin: str) -> str:
    value = data.get(key) if isinstance(data, dict) else None
    if not isinstance(value, str) or not value.strip():
        raise KnowledgeError(f"{origin}: {key}: missing or not text")
    return " ".join(value.split())


_TOP_KEY = re.compile(r"^([A-Za-z_][\w-]*):(.*)$")
_PLAIN_TEXT = re.compile(r"^[A-Za-z(][^#:{}\[\]&*!|>'\"%@`]*$")
_VERSION = re.compile(r"^\d+(\.\d+){2,}$")  # 1.0.0 is text to YAML (1.0 would be a number)
_NOT_TEXT = frozenset(
    {"yes", "no", "true", "false", "on", "off", "y", "n", "null", "~"}
)  # YAML 1.1 reads these as booleans or null


def _header(text: str, keys: frozenset[str]) -> dict[str, str] | None:
    """The ``keys`` of a data file's header when each is simple text, else None.

    Reads top-level ``key: text`` lines and folded blocks (``key: >-`` then indented
    lines) until every wanted key is seen. Anything else (a quoted or typed value, a
    literal block, a key missing from the header) returns None, and the caller
    parses the file as YAML: this only spares the YAML parser the common case.
    """
    found: dict[str, str] = {}
    lines = text.splitlines()
    index = 0
    last: str | None = None
    while index < len(lines) and not keys <= found.keys():
        line = lines[index]
        index += 1
        match = _TOP_KEY.match(line)
        if match is None:
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            if line[:1] in (" ", "-") and last not in keys:
                continue  # the body of a field not shown
            return None
        key, rest = match.group(1), match.group(2).strip()
        last = key
        if rest in (">", ">-"):
            block: list[str] = []
            while index < len(lines) and (not lines[index].strip() or lines[index][:1] == " "):
                if not lines[index].strip():
                    return None  # a paragraph break: leave folding rules to YAML
                block.append(lines[index].strip())
                index += 1
            value = " ".join(block)
        elif rest and (_PLAIN_TEXT.match(rest) or _VERSION.match(rest)) and (
            rest.lower() not in _NOT_TEXT
        ):
            value = rest
        elif key in keys:
            return None
        else:
            continue  # a field not shown (a list, a number): skip its indented lines
        if key in keys:
            found[key] = value
    following = next((line for line in lines[index:] if line.strip()), "")
    if last in keys and following[:1] in (" ", "\t"):
        return None  # the last value goes on over more lines
    return found if keys <= found.keys() else None


def _items(text: str, list_key: str, keys: frozenset[str]) -> list[dict[str, str]] | None:
    """The ``keys`` of each item of the top-level list ``list_key``, or None (see _header)."""
    lines = text.splitlines()
    try:
        start = lines.index(f"{list_key}:")
    except ValueError:
        return None
    items: list[list[str]] = []
    indent: int | None = None
    for line in lines[start + 1 :]:
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if line[:1] not in (" ", "-"):
            break  # the next top-level field
        stripped = line.lstrip(" ")
        depth = len(line) - len(stripped)
        if stripped.startswith("- ") and (indent is None or depth == indent):
            indent = depth
            items.append([stripped[2:]])
        elif indent is not None and line.startswith(" " * (indent + 2)):
            items[-1].append(line[indent + 2 :])
        else:
            return None
    found = [_header("\n".join(item), keys) for item in items]
    return None if any(f is None for f in found) else [f for f in found if f is not None]


def _read(path: Path, folder: str, keys: frozenset[str] = frozenset()) -> Any:
    """The file's data; with ``keys``, the header fields when they are simple text."""
    origin = f"{folder}/{path.name}"
    if not keys:
        return read_yaml(path, origin=origin)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise KnowledgeError(f"{origin}: cannot read: {exc.strerror or exc}") from None
    return _header(text, keys) or parse_yaml(text, origin)


def score_listing() -> list[ScoreListing]:
    """Every shipped score, then the withheld ones with the reason they are not available."""
    folder = knowledge_path("scores")
    shipped: list[ScoreListing] = []
    for path in sorted(folder.glob("*.yaml")):
        if path.name == _WITHHELD_FILE:
            continue
        data, origin = _read(path, "scores", _SCORE_KEYS), f"scores/{path.name}"
        shipped.append(
            ScoreListing(
                name=_field(data, "name", origin),
                title=_field(data, "title", origin),
                available=True,
                purpose=_field(data, "purpose", origin),
                kind=_field(data, "kind", origin),
            )
        )
    withheld_path = folder / _WITHHELD_FILE
    items: Any = _items(withheld_path.read_text(encoding="utf-8"), "withheld", _WITHHELD_KEYS)
    if items is None:
        raw = _read(withheld_path, "scores") or {}
        items = raw.get("withheld", []) if isinstance(raw, dict) else []
    withheld = [
        ScoreListing(
            name=_field(item, "name", f"scores/{_WITHHELD_FILE}"),
            title=_field(item, "title", f"scores/{_WITHHELD_FILE}"),
            available=False,
            reason=_field(item, "reason", f"scores/{_WITHHELD_FILE}"),
        )
        for item in items
    ]
    return shipped + withheld


def protocol_listing() -> list[ProtocolListing]:
    """Every shipped pathway in the library's order (by file name)."""
    found: list[ProtocolListing] = []
    for path in sorted(knowledge_path("protocols").glob("*.yaml")):
        data, origin = _read(path, "protocols", _PROTOCOL_KEYS), f"protocols/{path.name}"
        version = data.get("version") if isinstance(data, dict) else None
        found.append(
            ProtocolListing(
                id=_field(data, "id", origin),
                version=str(version) if version is not None else _field(data, "version", origin),
                title=_field(data, "title", origin),
                when_to_use=_field(data, "when_to_use", origin),
            )
        )
    return found
