"""What a registry case is, validated on the way in (pydantic v2).

A case is keyed by a pseudonymous patient id: the registry never asks for a
name, and the id's alphabet (letters, digits, ``.``, ``_``, ``-``; no spaces)
keeps a typed name from slipping in by habit. Complications are a controlled
vocabulary so that rates can be counted and set beside the published figures
(see ``knowledge/registry/literature.yaml``). A retrieval attempt after a stent
loss records its technique and whether it succeeded, because the literature
reports success by technique (Brilakis 2005; Eggebrecht 2000).
"""

from __future__ import annotations

import datetime as dt
import enum
import operator
import time
import typing
import uuid
from collections.abc import Callable
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator
from pydantic_core import to_json

from stentguide.cases.vocabulary import Access, ComplicationKind, RetrievalTechnique, Vessel

__all__ = [
    "CASE_COLUMNS",
    "OWN_TABLE_FIELDS",
    "Access",
    "CaseIn",
    "Complication",
    "ComplicationKind",
    "Lesion",
    "RetrievalTechnique",
    "RunSummary",
    "StoredCase",
    "Vessel",
    "nested_fields",
    "scalar_fields",
]

PseudonymousId = Annotated[
    str, StringConstraints(strip_whitespace=True, pattern=r"^[A-Za-z0-9._-]{1,64}$")
]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
Uid = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{32}$")]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", use_enum_values=False, frozen=True)


class Lesion(_Strict):
    """One treated lesion. ``cto`` and ``calcified`` are ``None`` when not recorded."""

    vessel: Vessel
    cto: bool | None = None
    calcified: bool | None = None


class Complication(_Strict):
    """One complication of a case.

    For a stent loss, ``technique`` and ``success`` describe the retrieval
    attempt (both or neither); other kinds carry neither.
    """

    kind: ComplicationKind
    technique: RetrievalTechnique | None = None
    success: bool | None = None
    note: Annotated[str, StringConstraints(max_length=2000)] | None = None

    @model_validator(mode="after")
    def _retrieval_fields(self) -> Complication:
        if self.kind is not ComplicationKind.stent_loss and (
            self.technique is not None or self.success is not None
        ):
            raise ValueError("technique and success describe a stent-loss retrieval only")
        if (self.technique is None) != (self.success is None):
            raise ValueError("a retrieval attempt needs both technique and success")
        return self


class CaseIn(_Strict):
    """A case as entered or imported: the one declaration of a registry field.

    ``uid`` is generated when not given. Each field's ``title`` labels it on the
    case form and its ``description`` is the hint there and the line in
    ``docs/registry.md``; exports, imports and the form follow this list (see
    "Adding a field" in ``docs/registry.md``).
    """

    uid: Uid = Field(
        default_factory=lambda: uuid.uuid4().hex,
        title="Case id",
        description="32 hexadecimal digits, made when the case is first saved",
    )
    patient_id: PseudonymousId = Field(
        title="Pseudonymous patient id",
        description="letters, digits, . _ - only, no spaces: never a name",
    )
    procedure_date: dt.date = Field(title="Procedure date", description="YYYY-MM-DD")
    operator: ShortText = Field(title="Operator", description="who performed the procedure")
    access: Access = Field(title="Access", description="the arterial access route")
    lesions: list[Lesion] = Field(
        min_length=1, title="Lesions", description="at least one: vessel, CTO, calcified"
    )
    devices: dict[ShortText, Annotated[str, StringConstraints(min_length=1, max_length=128)]] = (
        Field(title="Devices", description="device by role, e.g. guide: 6F EBU 3.5")
    )
    outcome: ShortText | None = Field(
        default=None,
        title="Outcome",
        description="optional, e.g. deployed, retrieved, referred for surgery",
    )
    complications: list[Complication] = Field(
        title="Complications",
        description="kind; for a stent loss the retrieval technique and its success",
    )

    @model_validator(mode="after")
    def _date_not_in_future(self) -> CaseIn:
        # today in UTC as a day number, from the clock alone (no datetime object a case)
        today = int(time.time() // 86_400) + _EPOCH_ORDINAL
        if self.procedure_date.toordinal() > today + 1:
            raise ValueError(f"procedure_date {self.procedure_date} is in the future")
        return self

    def row(self) -> dict[str, Any]:
        """The columns of the ``cases`` table (without bookkeeping).

        One column per field, as JSON values (enums by value, nested fields as
        lists and dicts) except dates; complications have a table of their own.
        """
        plain = self.model_dump(mode="json", exclude=_OWN_TABLE_SET)
        for name in _DATE_FIELDS:
            plain[name] = getattr(self, name)
        return plain

    def column_values(self) -> tuple[Any, ...]:
        """The values of :meth:`row` in :data:`CASE_COLUMNS` order, nested fields as JSON text.

        The bulk insert's form of a case: each nested field serialised once by
        pydantic (the same JSON values as :meth:`row`, compact), enums by value,
        other values as validated.
        """
        values = self.__dict__
        return (
            *_plain_values(values),
            *[None if v is None else v.value for v in _enum_values(values)],
            *[None if v is None else to_json(v).decode() for v in _nested_values(values)],
        )


OWN_TABLE_FIELDS = frozenset({"complications"})
"""Fields of :class:`CaseIn` stored in a table of their own rather than a ``cases`` column."""
_OWN_TABLE_SET = set(OWN_TABLE_FIELDS)
_DATE_FIELDS = tuple(
    name for name, field in CaseIn.model_fields.items() if field.annotation is dt.date
)
_EPOCH_ORDINAL = dt.date(1970, 1, 1).toordinal()


def nested_fields() -> tuple[str, ...]:
    """The fields of :class:`CaseIn` that hold lists or mappings (JSON text in a flat file)."""
    return tuple(
        name
        for name, field in CaseIn.model_fields.items()
        if typing.get_origin(field.annotation) in (list, dict)
    )


def _is_enum(annotation: Any) -> bool:
    kinds = [a for a in typing.get_args(annotation) if a is not type(None)] or [annotation]
    return all(isinstance(k, type) and issubclass(k, enum.Enum) for k in kinds)


def _getter(names: tuple[str, ...]) -> Callable[[dict[str, Any]], tuple[Any, ...]]:
    """A function giving these keys' values of a dict as a tuple (``itemgetter`` in C)."""
    if len(names) == 1:
        only = names[0]
        return lambda values: (values[only],)
    return operator.itemgetter(*names) if names else lambda _values: ()


_COLUMN_FIELDS = [name for name in CaseIn.model_fields if name not in OWN_TABLE_FIELDS]
_NESTED_COLUMNS = tuple(name for name in _COLUMN_FIELDS if name in nested_fields())
_ENUM_COLUMNS = tuple(
    name
    for name in _COLUMN_FIELDS
    if name not in _NESTED_COLUMNS and _is_enum(CaseIn.model_fields[name].annotation)
)
_PLAIN_COLUMNS = tuple(
    name for name in _COLUMN_FIELDS if name not in _NESTED_COLUMNS + _ENUM_COLUMNS
)
CASE_COLUMNS = _PLAIN_COLUMNS + _ENUM_COLUMNS + _NESTED_COLUMNS
"""The ``cases`` columns that hold a field of :class:`CaseIn`, in :meth:`CaseIn.column_values`
order: plain values, then enums, then the nested fields (JSON text)."""
_plain_values = _getter(_PLAIN_COLUMNS)
_enum_values = _getter(_ENUM_COLUMNS)
_nested_values = _getter(_NESTED_COLUMNS)


def scalar_fields() -> tuple[str, ...]:
    """The fields of :class:`CaseIn` a person types as one value (the uid excepted)."""
    nested = nested_fields()
    return tuple(name for name in CaseIn.model_fields if name != "uid" and name not in nested)


class RunSummary(_Strict):
    """A stored protocol run, without its events."""

    run_id: str
    case_uid: str | None
    protocol_id: str
    protocol_version: str
    outcome_id: str | None
    outcome_category: str | None
    events: int
    created_at: dt.datetime
    created_by: str


class StoredCase(CaseIn):
    """A case as stored, with its bookkeeping and the runs attached to it."""

    created_at: dt.datetime
    created_by: str
    updated_at: dt.datetime
    updated_by: str
    version: int
    runs: list[RunSummary] = Field(default_factory=list)
