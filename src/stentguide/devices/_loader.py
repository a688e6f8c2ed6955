"""Read and validate the catalogue data under ``knowledge/devices/`` (once, then cached).

The data files describe product *families* (a guide model in several French sizes,
a balloon line in several diameters); :func:`load_catalog` expands each family
into one device per size, validates every figure and checks that every cited
reference exists. A figure in the data is either a bare number or a string with
a unit (``0.071 in``), which inherits the family's ``confidence`` and
``sources``, or a mapping with its own. ``rules:`` sections hold the class-level
figures (:func:`class_figure`) used when a device has no figure of its own.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, get_args

from pydantic import TypeAdapter, ValidationError

from stentguide.devices.model import Device, DeviceKind, Figure
from stentguide.devices.units import french_to_mm, parse_length
from stentguide.errors import InputError, KnowledgeError
from stentguide.knowledge import knowledge_path, read_yaml
from stentguide.references import check_sources

__all__ = [
    "DEVICE_KINDS",
    "catalog_rules",
    "class_figure",
    "figure_from_data",
    "load_catalog",
    "normalise_name",
]

DEVICE_KINDS: tuple[str, ...] = get_args(DeviceKind)
_DEVICE_ADAPTER: TypeAdapter[Device] = TypeAdapter(Device)
_FAMILY_SECTIONS = {
    "guides": "guide",
    "guide_extensions": "guide_extension",
    "balloons": "balloon",
    "stents": "stent",
    "snares": "snare",
    "guidewires": "guidewire",
    "microcatheters": "microcatheter",
}
_FAMILY_KEYS = {"family", "maker", "confidence", "sources", "note", "sizes", "overrides"}


def normalise_name(name: str) -> str:
    """Lower-case, single-spaced, ``6 Fr`` -> ``6f``: the key names are compared on."""
    text = " ".join(name.strip().lower().replace("×", "x").split())
    text = re.sub(r"(\d)\s*(?:fr|french|f)\b", r"\1f", text)
    text = re.sub(r"\s*x\s*(?=\d)", "x", text)
    return re.sub(r"\d+\.\d+|\d+", lambda m: f"{float(m.group(0)):g}", text)


def _fmt_size(value: float) -> str:
    return f"{value:g}" if value != int(value) else f"{int(value)}"


def _fmt_diameter(value: float) -> str:
    return f"{value:.1f}" if abs(value * 10 - round(value * 10)) < 1e-9 else f"{value:.2f}"


def figure_from_data(
    raw: Any, family: Mapping[str, Any], where: str, *, unit: str = "mm"
) -> Figure:
    """Build a :class:`Figure` from data: a number, a string with a unit, or a mapping."""
    inherited = {"confidence": family.get("confidence"), "sources": family.get("sources", [])}
    spec = dict(raw) if isinstance(raw, dict) else {"value": raw}
    for key in ("confidence", "sources"):
        spec.setdefault(key, inherited[key])
    for key in ("value", "low", "high"):
        if key in spec and spec[key] is not None:
            spec[key] = _number(spec[key], f"{where}.{key}", unit)
    try:
        return Figure.model_validate(spec)
    except ValidationError as exc:
        raise KnowledgeError(f"{where}: {exc}") from exc


def _number(raw: Any, where: str, unit: str) -> float:
    if unit == "atm":
        if isinstance(raw, bool) or not isinstance(raw, int | float):
            raise KnowledgeError(f"{where}: a pressure in the catalogue is a number of atm")
        return float(raw)
    try:
        return parse_length(raw, field=where)
    except InputError as exc:
        raise KnowledgeError(f"{where}: {exc}") from exc


_PRESSURE_FIELDS = {"nominal_pressure", "rated_burst_pressure"}
_PLAIN_FIELDS = {"compliance", "loops", "markers", "chart", "length_mm", "covered"}


def _expand(section: str, family: dict[str, Any], path: Path) -> Iterator[dict[str, Any]]:
    kind = _FAMILY_SECTIONS[section]
    name = family.get("family")
    if not isinstance(name, str) or not name:
        raise KnowledgeError(f"{path.name}: a {kind} family needs a 'family' name")
    where = f"{path.name}: {name}"
    sizes = family.get("sizes")
    if not isinstance(sizes, list) or not sizes:
        raise KnowledgeError(f"{where}: 'sizes' must be a non-empty list")
    overrides = family.get("overrides", [])
    shared = {k: v for k, v in family.items() if k not in _FAMILY_KEYS}
    for size in sizes:
        fields: dict[str, Any] = dict(shared)
        if isinstance(size, dict):
            fields.update(size)
        else:
            fields["size"] = size
        size_value = fields.pop("size", None)
        for override in overrides:
            if size_value in override.get("sizes", []):
                fields.update({k: v for k, v in override.items() if k != "sizes"})
        yield _build(
            kind, family_name=name, family=family, fields=fields, size=size_value, where=where
        )


def _build(
    kind: str,
    *,
    family_name: str,
    family: dict[str, Any],
    fields: dict[str, Any],
    size: Any,
    where: str,
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "kind": kind,
        "family": family_name,
        "maker": family.get("maker"),
        "sources": list(family.get("sources", [])),
        "note": fields.pop("note", family.get("note")),
    }
    if kind in {"guide", "guide_extension"}:
        french = float(size)
        out["french"] = french
        out["name"] = f"{family_name} {_fmt_size(french)}F"
        if "outer_diameter" not in fields:
            raise KnowledgeError(f"{where}: {kind} needs an outer_diameter rule")
        rule = fields.pop("outer_diameter")
        offset = float(rule.get("french_offset", 0)) if isinstance(rule, dict) else 0.0
        od_spec = {k: v for k, v in dict(rule).items() if k != "french_offset"}
        od_spec["value"] = french_to_mm(french + offset)
        out["outer_diameter"] = figure_from_data(od_spec, family, f"{where} {size}F.outer_diameter")
    elif kind in {"balloon", "stent"}:
        out["diameter_mm"] = float(size)
        out["name"] = f"{family_name} {_fmt_diameter(float(size))}"
    elif kind == "snare":
        out["name"] = f"{family_name} {size}"
    else:
        out["name"] = family_name if size in (None, "") else f"{family_name} {size}"
    for key, raw in fields.items():
        if key in _PLAIN_FIELDS:
            out[key] = raw
        elif key == "min_guide_french":
            out[key] = figure_from_data(raw, family, f"{where} {size}.{key}", unit="atm")
        else:
            unit = "atm" if key in _PRESSURE_FIELDS else "mm"
            out[key] = figure_from_data(raw, family, f"{where} {size}.{key}", unit=unit)
    return out


@functools.cache
def _load() -> tuple[dict[str, Device], dict[str, Any]]:
    folder = knowledge_path("devices")
    devices: dict[str, Device] = {}
    rules: dict[str, Any] = {}
    for path in sorted(folder.glob("*.yaml")):
        raw = read_yaml(path) or {}
        if not isinstance(raw, dict):
            raise KnowledgeError(f"{path.name}: expected a mapping of sections")
        for section, body in raw.items():
            if section == "rules":
                rules.update(body)
                continue
            if section not in _FAMILY_SECTIONS:
                raise KnowledgeError(f"{path.name}: unknown section {section!r}")
            for family in body:
                for spec in _expand(section, family, path):
                    try:
                        device = _DEVICE_ADAPTER.validate_python(spec)
                    except ValidationError as exc:
                        raise KnowledgeError(f"{path.name}: {spec.get('name')}: {exc}") from exc
                    key = normalise_name(device.name)
                    if key in devices:
                        raise KnowledgeError(f"{path.name}: device {device.name!r} defined twice")
                    check_sources(device.all_sources(), f"{path.name}: {device.name}")
                    devices[key] = device
    check_sources(_rule_sources(rules), "devices rules")
    return devices, rules


def _rule_sources(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "sources" and isinstance(value, list):
                yield from value
            else:
                yield from _rule_sources(value)
    elif isinstance(node, list):
        for item in node:
            yield from _rule_sources(item)


def load_catalog() -> dict[str, Device]:
    """Every catalogue device by normalised name (validated once, then cached)."""
    return _load()[0]


def catalog_rules() -> dict[str, Any]:
    """The ``rules:`` sections of the catalogue (class figures and the fit tolerance)."""
    return _load()[1]


def class_figure(name: str, *, unit: str = "mm") -> Figure:
    """A class-level figure from the catalogue rules (e.g. ``balloon_crossing_profile``)."""
    raw = catalog_rules().get(name)
    if raw is None:
        raise KnowledgeError(f"devices rules: missing {name!r}")
    return figure_from_data(raw, {}, f"rules.{name}", unit=unit)
