"""The bibliography every clinical fact in ``knowledge/`` points at.

References live in ``knowledge/references/*.yaml`` (one file per topic, so that
protocols, devices, scores and leaflets can each keep their own list); each file
maps a short key (``BRIL05``) to an entry with authors, title, venue, year and a
DOI or URL. Keys are unique across all files. Data files cite references in
fields named ``sources``; :func:`cited_keys` finds every such citation so that a
test can fail on a dangling or an unused reference.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from stentguide.errors import KnowledgeError, ReferenceError_
from stentguide.knowledge import knowledge_path, read_yaml

__all__ = [
    "Reference",
    "check_sources",
    "cited_keys",
    "load_references",
    "reference",
    "source_problems",
]


class Reference(BaseModel):
    """One bibliographic entry."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    key: str
    authors: str
    title: str
    venue: str
    year: int | None = Field(default=None, ge=1900, le=2100)
    doi: str | None = None
    url: str | None = None
    pmid: str | None = None
    identifier: str | None = Field(
        default=None, description="How to find a source that has no DOI, URL or PMID."
    )
    note: str | None = Field(
        default=None, description="What this source is good for, and how far it can be trusted."
    )

    @model_validator(mode="after")
    def _has_locator(self) -> Reference:
        if not (self.doi or self.url or self.pmid or self.identifier):
            raise ValueError("a reference needs a DOI, a URL, a PMID or an identifier")
        return self

    def citation(self) -> str:
        """A one-line citation: authors, title, venue, year and locator."""
        if self.doi:
            locator = f"doi:{self.doi}"
        elif self.pmid:
            locator = f"PMID {self.pmid}"
        else:
            locator = self.url or self.identifier or ""
        year = f", {self.year}" if self.year else ""
        return f"{self.authors}. {self.title}. {self.venue}{year}. {locator}"


@functools.cache
def load_references() -> dict[str, Reference]:
    """Every reference shipped with the package, by key (validated, cached)."""
    folder = knowledge_path("references")
    refs: dict[str, Reference] = {}
    for path in sorted(folder.glob("*.yaml")):
        raw = read_yaml(path) or {}
        if not isinstance(raw, dict):
            raise KnowledgeError(f"{path.name}: expected a mapping of key -> reference")
        for key, entry in raw.items():
            if key in refs:
                raise KnowledgeError(f"{path.name}: reference {key!r} is defined twice")
            try:
                refs[key] = Reference.model_validate({"key": key, **(entry or {})})
            except ValidationError as exc:
                raise KnowledgeError(f"{path.name}: reference {key!r}: {exc}") from exc
    return refs


def reference(key: str) -> Reference:
    """The reference with this key; :class:`ReferenceError_` if there is none."""
    refs = load_references()
    try:
        return refs[key]
    except KeyError:
        raise ReferenceError_(f"no reference {key!r} in knowledge/references") from None


def source_problems(cited: Iterable[tuple[str, Iterable[str]]]) -> list[str]:
    """For each ``(where, keys)`` citing an unknown reference, one line naming ``where``."""
    refs = load_references()
    problems = []
    for where, keys in cited:
        missing = sorted({k for k in keys if k not in refs})
        if missing:
            problems.append(f"{where}: unknown reference(s) {', '.join(missing)}")
    return problems


def check_sources(keys: Iterable[str], where: str) -> None:
    """Raise :class:`ReferenceError_` naming ``where`` if any key is not a known reference."""
    problems = source_problems([(where, keys)])
    if problems:
        raise ReferenceError_(problems[0])


def _walk_sources(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "sources" and isinstance(value, list):
                yield from (v for v in value if isinstance(v, str))
            else:
                yield from _walk_sources(value)
    elif isinstance(node, list):
        for item in node:
            yield from _walk_sources(item)


def cited_keys() -> dict[str, set[str]]:
    """Every reference key cited by a ``sources`` field in the knowledge data.

    Returns a mapping from key to the set of data files (relative paths) citing it.
    """
    root = knowledge_path()
    cited: dict[str, set[str]] = {}
    for path in sorted(root.rglob("*.yaml")):
        if path.parent.name == "references":
            continue
        for key in _walk_sources(read_yaml(path)):
            cited.setdefault(key, set()).add(str(path.relative_to(root)))
    return cited
