"""A search of the registry as typed by a person, and what it must say about synthetic cases.

Both faces take a search as text (command-line options, a page's query string)
and hand it here: :func:`parse_search` turns it into a
:class:`~stentguide.cases.case_store.CaseFilter` or raises one
:class:`~stentguide.errors.InputError` naming every bad field, with close names
for a misspelt complication or access. :func:`synthetic_warning` is the one
sentence both faces show when synthetic demonstration cases are among those
counted (see :mod:`stentguide.cases.demo`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import difflib
import functools
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from stentguide.cases.case_store import CaseFilter
from stentguide.cases.demo import SYNTHETIC_OUTCOME
from stentguide.cases.model import Access, ComplicationKind
from stentguide.errors import InputError

if TYPE_CHECKING:
    from stentguide.cases.registry import Registry

__all__ = [
    "SEARCH_CHOICES",
    "SEARCH_FIELDS",
    "count_synthetic",
    "parse_search",
    "search_detail",
    "search_values",
    "synthetic_warning",
]

SEARCH_FIELDS = ("patient_id", "since", "until", "operator", "access", "complication", "outcome")
"""The fields of a search, as both faces name them."""

SEARCH_CHOICES: dict[str, tuple[str, ...]] = {
    "access": tuple(a.value for a in Access),
    "complication": tuple(k.value for k in ComplicationKind),
}
"""The values a search field with a fixed vocabulary takes."""

_MAX_TEXT = 64
"""The longest patient id, operator or outcome the registry stores (see ``CaseIn``)."""


def search_values(raw: Mapping[str, Any]) -> dict[str, str]:
    """The search fields of ``raw``, stripped; absent or ``None`` ones are empty strings."""
    values: dict[str, str] = {}
    for field in SEARCH_FIELDS:
        value = raw.get(field)
        values[field] = value.strip() if isinstance(value, str) else ""
    return values


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a date (YYYY-MM-DD)") from None


def _choice(kind: str, text: str) -> str:
    known = SEARCH_CHOICES[kind]
    if text in known:
        return text
    close = difflib.get_close_matches(text, known, n=3, cutoff=0.4)
    hint = f"; did you mean {', '.join(close)}?" if close else f" (one of {', '.join(known)})"
    raise ValueError(f"{text!r} is not a known {kind}{hint}")


def _text(text: str) -> str:
    if len(text) > _MAX_TEXT:
        raise ValueError(f"at most {_MAX_TEXT} characters")
    if not text.isprintable():
        raise ValueError("printable characters only (no control characters)")
    return text


_READERS: dict[str, Callable[[str], Any]] = {
    "patient_id": _text,
    "operator": _text,
    "outcome": _text,
    "since": _date,
    "until": _date,
    "access": functools.partial(_choice, "access"),
    "complication": functools.partial(_choice, "complication"),
}


def parse_search(raw: Mapping[str, Any]) -> CaseFilter:
    """The query a person typed, or an :class:`InputError` naming every bad field.

    ``raw`` maps field names of :data:`SEARCH_FIELDS` to text; empty or absent
    fields do not restrict the search, other keys are ignored. A period whose
    start is after its end is refused on ``since``.
    """
    values = search_values(raw)
    parsed: dict[str, Any] = {}
    problems: dict[str, str] = {}
    for field, text in values.items():
        if not text:
            continue
        try:
            parsed[field] = _READERS[field](text)
        except ValueError as exc:
            problems[field] = str(exc)
    since, until = parsed.get("since"), parsed.get("until")
    if since is not None and until is not None and since > until:
        problems["since"] = f"{since} is after until {until}"
    if problems:
        raise InputError("bad search", problems)
    return CaseFilter(**parsed)


def search_detail(where: CaseFilter) -> dict[str, str]:
    """The restrictions of a query as text, for an audit line (unrestricted fields left out)."""
    return {
        field.name: value.isoformat() if isinstance(value, dt.date) else str(value)
        for field in dataclasses.fields(where)
        if (value := getattr(where, field.name)) is not None
    }


def count_synthetic(registry: Registry, where: CaseFilter) -> int:
    """How many of the cases ``where`` finds are synthetic demonstration cases."""
    if where.outcome not in (None, SYNTHETIC_OUTCOME):
        return 0
    return registry.cases.count(dataclasses.replace(where, outcome=SYNTHETIC_OUTCOME))


def synthetic_warning(synthetic: int, total: int) -> str | None:
    """The sentence every face shows when synthetic cases are among ``total``, else ``None``."""
    if not synthetic:
        return None
    return (
        f"{synthetic} of the {total} cases counted are synthetic demonstration data, "
        "not a real registry"
    )
