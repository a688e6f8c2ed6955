"""The case form of the registry pages: its inputs, and how they map to and from a case.

The inputs follow :class:`stentguide.cases.CaseIn`, the one declaration of a
registry field: each field a person types as one value gets an input labelled
with the field's ``title`` and hinted with its ``description`` (a date field a
date input, an enum a choice), so a field added to ``CaseIn`` appears on the form
with no change here. The nested fields have inputs of their own: lesion and
complication rows (``lesion-0-vessel``, ``complication-1-technique``) and the
devices as ``role: device`` lines.

FastAPI reads the posted form into :class:`CaseFormIn`; :meth:`CaseForm.posted`
maps it to the data ``CaseIn`` validates, and :meth:`CaseForm.validate` maps
every problem the core names (``lesions.0.vessel``) back to the input it belongs
to (``lesion-0-vessel``). Validation itself is the core's.
"""

from __future__ import annotations

import datetime as dt
import enum
import re
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from stentguide.cases import CaseIn, ComplicationKind, RetrievalTechnique, StoredCase, Vessel
from stentguide.cases.model import scalar_fields
from stentguide.errors import InputError

__all__ = [
    "MIN_COMPLICATION_ROWS",
    "MIN_LESION_ROWS",
    "CaseForm",
    "CaseFormIn",
    "FormInput",
    "case_inputs",
    "label",
    "row_choices",
    "row_count",
]

MIN_LESION_ROWS = 2
MIN_COMPLICATION_ROWS = 2

_PSEUDONYM_HINT = (
    "use 1 to 64 letters, digits, '.', '_' or '-' with no spaces: "
    "a pseudonymous id, never the patient's name"
)
_ROW_FIELD = re.compile(r"^(lesion|complication)-(\d{1,3})-([a-z_]+)$")
_ROW_CELLS = {
    "lesion": ("vessel", "cto", "calcified"),
    "complication": ("kind", "technique", "success", "note"),
}
_YES_NO = {"yes": True, "no": False}


class CaseFormIn(BaseModel):
    """A posted case form: every input as text, as FastAPI reads it (``Form()``).

    The case's own fields, the rows and the devices arrive by the names above;
    they are kept as extra text fields because which there are follows ``CaseIn``
    and the rows in use. ``version`` is the stored version an edit started from.
    """

    model_config = ConfigDict(extra="allow", str_strip_whitespace=True)
    __pydantic_extra__: dict[str, str]

    csrf_token: str = ""
    version: str = ""

    def text(self) -> dict[str, str]:
        """Every input but the CSRF token, stripped."""
        values = {k: v.strip() for k, v in (self.model_extra or {}).items()}
        if self.version:
            values["version"] = self.version
        return values


@dataclass(frozen=True)
class FormInput:
    """One input of the case's own fields, as the template draws it."""

    name: str
    label: str
    hint: str
    kind: str  # "text", "date" or "choice"
    options: tuple[str, ...] = ()


def _enum_of(annotation: Any) -> type[enum.Enum] | None:
    for candidate in (annotation, *typing.get_args(annotation)):
        if isinstance(candidate, type) and issubclass(candidate, enum.Enum):
            return candidate
    return None


def case_inputs() -> list[FormInput]:
    """The inputs of the case's own fields, in the order ``CaseIn`` declares them."""
    inputs = []
    for name in scalar_fields():
        info = CaseIn.model_fields[name]
        choices = _enum_of(info.annotation)
        if choices is not None:
            kind, options = "choice", tuple(str(c.value) for c in choices)
        else:
            kind, options = ("date" if info.annotation is dt.date else "text"), ()
        inputs.append(FormInput(name, info.title or name, info.description or "", kind, options))
    return inputs


def row_choices() -> dict[str, list[str]]:
    """The choices of the lesion and complication rows, by template name."""
    return {
        "vessels": [v.value for v in Vessel],
        "kinds": [k.value for k in ComplicationKind],
        "techniques": [t.value for t in RetrievalTechnique],
    }


def _rows(values: Mapping[str, str], prefix: str) -> dict[int, dict[str, str]]:
    rows: dict[int, dict[str, str]] = {}
    for key, value in values.items():
        match = _ROW_FIELD.match(key)
        if match and match.group(1) == prefix and match.group(3) in _ROW_CELLS[prefix]:
            rows.setdefault(int(match.group(2)), {})[match.group(3)] = value
    return dict(sorted(rows.items()))


def _row_data(cells: Mapping[str, str], required: str) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for cell, value in cells.items():
        if cell in ("cto", "calcified", "success"):
            data[cell] = _YES_NO.get(value)
        elif value or cell != required:
            data[cell] = value or None
    return data


def _devices(text: str, problems: dict[str, str]) -> dict[str, str]:
    devices: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        role, sep, name = (part.strip() for part in line.partition(":"))
        if not sep or not role or not name:
            problems["devices"] = f"line {number}: write each device as 'role: device'"
        elif role in devices:
            problems["devices"] = f"line {number}: {role!r} is named twice"
        else:
            devices[role] = name
    return devices


@dataclass
class CaseForm:
    """A case form: what to validate, the values to show back, and the problems by input."""

    data: dict[str, Any]
    values: dict[str, str]
    rows: dict[str, list[int]] = field(default_factory=dict)
    problems: dict[str, str] = field(default_factory=dict)

    @classmethod
    def posted(cls, form: CaseFormIn) -> CaseForm:
        """The posted form as the dict ``CaseIn`` validates (blank rows dropped)."""
        values = form.text()
        problems: dict[str, str] = {}
        data: dict[str, Any] = {k: values[k] for k in scalar_fields() if values.get(k)}
        data.setdefault("outcome", None)
        data["devices"] = _devices(values.get("devices", ""), problems)
        rows: dict[str, list[int]] = {}
        for prefix, required in (("lesion", "vessel"), ("complication", "kind")):
            kept = {n: cells for n, cells in _rows(values, prefix).items() if any(cells.values())}
            data[f"{prefix}s"] = [_row_data(cells, required) for cells in kept.values()]
            rows[prefix] = list(kept)
        return cls(data, values, rows, problems)

    @classmethod
    def of(cls, case: StoredCase) -> CaseForm:
        """The form filled with a stored case."""
        yes_no = {True: "yes", False: "no", None: ""}
        plain = case.model_dump(mode="json")
        values = {k: "" if plain[k] is None else str(plain[k]) for k in scalar_fields()}
        values["devices"] = "\n".join(f"{role}: {name}" for role, name in case.devices.items())
        values["version"] = str(case.version)
        for prefix in ("lesion", "complication"):
            for i, row in enumerate(plain[f"{prefix}s"]):
                for cell in _ROW_CELLS[prefix]:
                    value = row.get(cell)
                    shown = yes_no[value] if isinstance(value, bool | None) else str(value)
                    values[f"{prefix}-{i}-{cell}"] = shown
        return cls(data={}, values=values)

    def input_of(self, path: str) -> str:
        """The form input a core problem path (``lesions.0.vessel``) belongs to."""
        parts = path.split(".")
        if parts[0] in ("lesions", "complications") and len(parts) > 1 and parts[1].isdigit():
            prefix = parts[0][:-1]
            rows = self.rows.get(prefix, [])
            index = int(parts[1])
            name = f"{prefix}-{rows[index] if index < len(rows) else index}"
            return f"{name}-{parts[2]}" if len(parts) > 2 else name
        if parts[0] == "devices":
            return "devices"
        return "case" if parts[0] == "(record)" else parts[0]

    def validate(self, uid: str | None = None) -> CaseIn | None:
        """The validated case, or ``None`` with :attr:`problems` naming each bad input."""
        try:
            case = CaseIn.model_validate({**self.data, **({"uid": uid} if uid else {})})
        except ValidationError as exc:
            for path, why in InputError.from_validation("", exc).problems.items():
                pattern = path == "patient_id" and why.startswith("String should match pattern")
                self.problems.setdefault(self.input_of(path), _PSEUDONYM_HINT if pattern else why)
            return None
        return None if self.problems else case


def row_count(values: Mapping[str, str], prefix: str) -> int:
    """How many rows of ``prefix`` to show: those in use and one more, at least the minimum."""
    used = [n for n, cells in _rows(values, prefix).items() if any(cells.values())]
    minimum = MIN_LESION_ROWS if prefix == "lesion" else MIN_COMPLICATION_ROWS
    return max(minimum, (max(used) + 2) if used else 0)


def label(name: str) -> str:
    """The label of an input or a problem's field, for the summary of problems."""
    match = _ROW_FIELD.match(name) or re.match(r"^(lesion|complication)-(\d+)()$", name)
    if match:
        part = match.group(3).replace("_", " ")
        row = f"{match.group(1).capitalize()} {int(match.group(2)) + 1}"
        return f"{row} {part}" if part else row
    if name in CaseIn.model_fields:
        return CaseIn.model_fields[name].title or name
    return {"case": "Case", "version": "Version"}.get(name, name)
