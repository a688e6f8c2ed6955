"""Generic device descriptions, for when the model is unknown or not in the catalogue.

An operator can declare "6F guide 0.070 in", "6F guide extension", "balloon 1.5x12 SC
single marker", "balloon 3.0x12 NC 12/20 atm", "stent 3.0x18", "0.014 in wire",
"snare 2-4 mm 3F" or "microcatheter 2.6F 0.020 in". Numbers the operator gives
are ``declared``; numbers the text lacks are taken from the catalogue's class
figures (``rules:`` in ``knowledge/devices/rules.yaml``) and flagged as estimates,
or, where no class figure is safe to assume, refused with a message naming the
field to add.
"""

from __future__ import annotations

import re
from typing import Any

from stentguide.devices._loader import class_figure, load_catalog
from stentguide.devices.model import (
    Balloon,
    Coil,
    Device,
    Figure,
    Guide,
    GuideExtension,
    Guidewire,
    Microcatheter,
    Snare,
    StentSystem,
)
from stentguide.devices.units import french_to_mm, inches_to_mm
from stentguide.errors import InputError

__all__ = ["parse_generic"]

_NUM = r"(\d+(?:\.\d+)?|\.\d+)"
_FRENCH = re.compile(_NUM + r"\s*(?:fr|french|f)\b")
_INCH = re.compile(_NUM + r"\s*(?:in|inch|inches|\"|'')(?![a-z])")
_MM = re.compile(_NUM + r"\s*mm\b")
_SIZE = re.compile(_NUM + r"\s*[x×]\s*" + _NUM)
_PRESSURES = re.compile(_NUM + r"\s*/\s*" + _NUM + r"\s*atm\b")
_LOOP_RANGE = re.compile(_NUM + r"\s*[-–]\s*" + _NUM + r"\s*mm\b")
_BARE = re.compile(r"(?<![\d.])" + _NUM + r"(?![\d.]|\s*(?:mm|in|f|fr|french|atm|x|\"))")


def _declared(value: float, what: str) -> Figure:
    if value <= 0:
        raise InputError("impossible value", {what: f"{value:g} must be greater than 0"})
    return Figure(value=value, confidence="declared", sources=[], note="declared by the operator")


def _floats(pattern: re.Pattern[str], text: str) -> list[float]:
    return [float(m.group(1)) for m in pattern.finditer(text)]


def _kind(text: str) -> str | None:
    if re.search(r"\bcoils?\b", text):
        return "coil"
    if "extension" in text or re.search(r"\bgec\b", text):
        return "guide_extension"
    if re.search(r"\bmicro-?catheter\b", text):
        return "microcatheter"
    if "snare" in text:
        return "snare"
    if re.search(r"\bguide\b|\bguiding\b", text):
        return "guide"
    if "stent" in text:
        return "stent"
    if "balloon" in text:
        return "balloon"
    if re.search(r"\b(?:guide)?wire\b", text):
        return "guidewire"
    return None


def parse_generic(text: str) -> Device | None:
    """A generic device from a description, or ``None`` if the text names no device kind."""
    low = " ".join(text.strip().lower().replace("×", "x").split())
    kind = _kind(low)
    if kind is None:
        return None
    builder = {
        "guide": _guide,
        "guide_extension": _guide_extension,
        "balloon": _balloon,
        "stent": _stent,
        "guidewire": _guidewire,
        "snare": _snare,
        "microcatheter": _microcatheter,
        "coil": _coil,
    }[kind]
    return builder(text.strip(), low)


def _french(low: str, text: str, field: str) -> float:
    values = _floats(_FRENCH, low)
    if not values:
        raise InputError(
            "missing French size", {field: f"{text!r}: give the French size, e.g. '6F'"}
        )
    if values[0] <= 0:
        raise InputError("impossible value", {field: f"{text!r}: French size must be > 0"})
    return values[0]


def _lumen(low: str) -> float | None:
    inches = _floats(_INCH, low)
    if inches:
        return inches_to_mm(inches[0])
    mms = _floats(_MM, low)
    return mms[0] if mms else None


def _smallest_catalogued(kind: str, french: float) -> Figure | None:
    same = [
        d
        for d in load_catalog().values()
        if isinstance(d, Guide | GuideExtension) and d.kind == kind and d.french == french
    ]
    if not same:
        return None
    smallest = min(same, key=lambda d: d.inner_diameter.value)
    largest = max(same, key=lambda d: d.inner_diameter.value)
    sources = list(dict.fromkeys(s for d in same for s in d.inner_diameter.sources))
    return Figure(
        value=smallest.inner_diameter.value,
        high=largest.inner_diameter.value,
        confidence="derived",
        sources=sources,
        note=(
            f"model not given: smallest catalogued inner diameter at {french:g}F "
            f"({smallest.name}); largest is {largest.name}"
        ),
    )


def _outer_from_french(french: float) -> Figure:
    base = class_figure("french_mm_per_unit", unit="atm")
    return Figure(
        value=french * base.value,
        confidence="derived",
        sources=base.sources,
        note=base.note,
    )


def _guide(text: str, low: str) -> Device:
    french = _french(low, text, "guide")
    lumen = _lumen(low)
    inner = _declared(lumen, "guide") if lumen else _smallest_catalogued("guide", french)
    if inner is None:
        raise InputError(
            "missing inner diameter",
            {"guide": f"{text!r}: no catalogued {french:g}F guide; add the inner diameter"},
        )
    return Guide(
        name=text,
        family="generic",
        generic=True,
        french=french,
        inner_diameter=inner,
        outer_diameter=_outer_from_french(french),
    )


def _guide_extension(text: str, low: str) -> Device:
    french = _french(low, text, "guide_extension")
    lumen = _lumen(low)
    inner = (
        _declared(lumen, "guide_extension")
        if lumen
        else _smallest_catalogued("guide_extension", french)
    )
    if inner is None:
        raise InputError(
            "missing inner diameter",
            {
                "guide_extension": (
                    f"{text!r}: no catalogued {french:g}F guide extension; add the inner diameter"
                )
            },
        )
    offset = class_figure("guide_extension_french_offset", unit="atm")
    return GuideExtension(
        name=text,
        family="generic",
        generic=True,
        french=french,
        inner_diameter=inner,
        outer_diameter=Figure(
            value=french_to_mm(french - offset.value),
            confidence="derived",
            sources=offset.sources,
            note=offset.note,
        ),
    )


def _size(low: str, text: str, field: str) -> tuple[float, float | None]:
    match = _SIZE.search(low)
    if match:
        diameter, length = float(match.group(1)), float(match.group(2))
        if length <= 0:
            raise InputError("impossible value", {field: f"{text!r}: length must be > 0"})
    else:
        mms = _floats(_MM, low)
        if not mms:
            raise InputError(
                "missing diameter", {field: f"{text!r}: give the size, e.g. '{field} 1.5x12'"}
            )
        diameter, length = mms[0], None
    if diameter <= 0:
        raise InputError("impossible value", {field: f"{text!r}: a 0 mm {field} does not exist"})
    return diameter, length


def _pressures(low: str, text: str, field: str) -> tuple[Figure | None, Figure | None]:
    match = _PRESSURES.search(low)
    if not match:
        return None, None
    nominal, burst = float(match.group(1)), float(match.group(2))
    if not 0 < nominal <= burst:
        raise InputError(
            "impossible pressures",
            {field: f"{text!r}: nominal pressure must be > 0 and not above rated burst pressure"},
        )
    return _declared(nominal, field), _declared(burst, field)


def _markers(low: str) -> int | None:
    if re.search(r"\b(?:single|one|1)[ -]?marker", low):
        return 1
    if re.search(r"\b(?:dual|double|two|2)[ -]?markers?", low):
        return 2
    return None


def _compliance(low: str, text: str) -> str:
    if re.search(r"\bnc\b|non-?compliant", low):
        return "non_compliant"
    if re.search(r"\bsc\b|semi-?compliant", low):
        return "semi_compliant"
    raise InputError(
        "missing compliance",
        {"balloon": f"{text!r}: say SC (semi-compliant) or NC (non-compliant)"},
    )


def _balloon(text: str, low: str) -> Device:
    diameter, length = _size(low, text, "balloon")
    compliance = _compliance(low, text)
    nominal, burst = _pressures(low, text, "balloon")
    if nominal is None and compliance == "semi_compliant":
        nominal = class_figure("semi_compliant_nominal_pressure", unit="atm")
    fields: dict[str, Any] = {
        "name": text,
        "family": "generic",
        "generic": True,
        "compliance": compliance,
        "diameter_mm": diameter,
        "length_mm": length,
        "nominal_pressure": nominal,
        "rated_burst_pressure": burst,
        "crossing_profile": class_figure("balloon_crossing_profile"),
        "shaft_diameter": class_figure("balloon_shaft_diameter"),
        "markers": _markers(low),
    }
    if re.search(r"\bshaft\b", low):
        fields["use_shaft"] = True
    return Balloon(**fields)


def _stent(text: str, low: str) -> Device:
    diameter, length = _size(low, text, "stent")
    nominal, burst = _pressures(low, text, "stent")
    return StentSystem(
        name=text,
        family="generic",
        generic=True,
        diameter_mm=diameter,
        length_mm=length,
        nominal_pressure=nominal,
        rated_burst_pressure=burst,
        crossing_profile=class_figure("stent_crossing_profile"),
    )


def _inch_diameter(low: str) -> float | None:
    """The first size in inches (``0.014 in``, or a bare ``.014``), in mm; None if none."""
    inches = _floats(_INCH, low)
    bare = [v for v in _floats(_BARE, low) if v < 0.1]
    sizes = inches or bare
    return inches_to_mm(sizes[0]) if sizes else None


def _guidewire(text: str, low: str) -> Device:
    diameter = _inch_diameter(low)
    if diameter is None:
        raise InputError(
            "missing wire size", {"guidewire": f"{text!r}: give the size, e.g. '0.014 in wire'"}
        )
    return Guidewire(
        name=text, family="generic", generic=True, diameter=_declared(diameter, "guidewire")
    )


def _snare(text: str, low: str) -> Device:
    french = _french(low, text, "snare")
    ranged = _LOOP_RANGE.search(low)
    if ranged:
        lo, hi = float(ranged.group(1)), float(ranged.group(2))
    else:
        mms = _floats(_MM, low)
        if not mms:
            raise InputError(
                "missing loop size", {"snare": f"{text!r}: give the loop size, e.g. '4 mm'"}
            )
        lo = hi = mms[0]
    if not 0 < lo <= hi:
        raise InputError("impossible loop", {"snare": f"{text!r}: loop sizes must be > 0"})
    return Snare(
        name=text,
        family="generic",
        generic=True,
        loops="multiple" if ranged else "single",
        loop_min=_declared(lo, "snare"),
        loop_max=_declared(hi, "snare"),
        catheter_outer_diameter=_declared(french_to_mm(french), "snare"),
    )


def _microcatheter(text: str, low: str) -> Device:
    french = _french(low, text, "microcatheter")
    inches = _floats(_INCH, low)
    return Microcatheter(
        name=text,
        family="generic",
        generic=True,
        outer_diameter=_declared(french_to_mm(french), "microcatheter"),
        inner_diameter=_declared(inches_to_mm(inches[0]), "microcatheter") if inches else None,
    )


def _coil(text: str, low: str) -> Device:
    diameter = _inch_diameter(low)
    if diameter is None:
        raise InputError(
            "missing coil size",
            {"coil": f"{text!r}: give the coil's diameter, e.g. 'coil 0.018 in'"},
        )
    return Coil(name=text, family="generic", generic=True, diameter=_declared(diameter, "coil"))
