"""Units at the edges: inches, French, kPa and bar in; millimetres and atmospheres inside.

Every length inside the package is in millimetres and every pressure in standard
atmospheres. Text from a user or a data file may carry another unit; it is
converted here, once, and nowhere else.

Conversions
-----------
* 1 inch = 25.4 mm (exact, by definition of the international inch).
* 1 French = 1/3 mm of **outer** diameter; a French size says nothing about the
  inner diameter of a catheter (``CSDN_FRENCH``, ``LEARNIR_FRENCH``).
* 1 atm = 101.325 kPa = 1.01325 bar (exact, by definition of the standard atmosphere).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Literal

from stentguide.errors import InputError

__all__ = [
    "KPA_PER_ATM",
    "MM_PER_FRENCH",
    "MM_PER_INCH",
    "LengthUnit",
    "PressureUnit",
    "format_length",
    "format_pressure",
    "french_to_mm",
    "inches_to_mm",
    "mm_to_french",
    "mm_to_inches",
    "parse_length",
    "parse_pressure",
]

MM_PER_INCH = 25.4
MM_PER_FRENCH = 1.0 / 3.0
KPA_PER_ATM = 101.325
BAR_PER_ATM = 1.01325

LengthUnit = Literal["mm", "in", "F"]
PressureUnit = Literal["atm", "kPa", "bar"]

_NUMBER = r"(?P<value>[+-]?(?:\d+(?:\.\d*)?|\.\d+))"
_LENGTH_RE = re.compile(
    _NUMBER + r"\s*(?P<unit>mm|millimet(?:er|re)s?|in|inch|inches|\"|''|fr|f|french)?\s*$",
    re.IGNORECASE,
)
_PRESSURE_RE = re.compile(
    _NUMBER + r"\s*(?P<unit>atm|atmospheres?|kpa|bar)?\s*$",
    re.IGNORECASE,
)


def inches_to_mm(inches: float) -> float:
    """Inches to millimetres."""
    return inches * MM_PER_INCH


def mm_to_inches(mm: float) -> float:
    """Millimetres to inches."""
    return mm / MM_PER_INCH


def french_to_mm(french: float) -> float:
    """French size to outer diameter in millimetres (1 F = 1/3 mm)."""
    return french * MM_PER_FRENCH


def mm_to_french(mm: float) -> float:
    """Outer diameter in millimetres to French size."""
    return mm / MM_PER_FRENCH


def _finite(value: float, field: str, text: str) -> float:
    if not math.isfinite(value):
        raise InputError("not a finite number", {field: f"{text!r} is not a finite number"})
    return value


@dataclass(frozen=True)
class _Quantity:
    """How a length or a pressure is written, for reading one and saying what is wrong."""

    name: str
    pattern: re.Pattern[str]
    such_as: str
    use: str

    def read(self, text: str | float, field: str, default_unit: str) -> tuple[float, str]:
        """A finite value above zero and its unit: a bare number takes ``default_unit``.

        Text is read by ``pattern`` (groups ``value`` and ``unit``); the unit comes back
        in lower case. Anything else raises :class:`InputError` naming ``field``.
        """
        name = self.name
        if isinstance(text, bool):
            expected = f"expected a {name} such as '{self.such_as}'"
            raise InputError(f"not a {name}", {field: expected})
        if isinstance(text, int | float):
            value, unit = float(text), default_unit
        else:
            match = self.pattern.match(text.strip())
            if not match:
                raise InputError(f"not a {name}", {field: f"{text!r} is not a {name} ({self.use})"})
            value = float(match.group("value"))
            unit = (match.group("unit") or default_unit).lower()
        _finite(value, field, str(text))
        if value <= 0:
            raise InputError(f"impossible {name}", {field: f"{text!r} must be greater than 0"})
        return value, unit


_LENGTH = _Quantity("length", _LENGTH_RE, "1.78 mm", "use mm, in or F, e.g. '0.070 in'")
_PRESSURE = _Quantity("pressure", _PRESSURE_RE, "3 atm", "use atm, kPa or bar, e.g. '3 atm'")


def parse_length(text: str | float, *, field: str = "length", default_unit: str = "mm") -> float:
    """Parse ``"0.070 in"``, ``'0.070"'``, ``"6F"``, ``"1.78 mm"`` or a number into millimetres.

    A bare number takes ``default_unit``. A French size is read as an outer diameter.
    Zero and negative lengths are refused: no device has one.
    """
    value, unit = _LENGTH.read(text, field, default_unit)
    if unit in {"in", "inch", "inches", '"', "''"}:
        return inches_to_mm(value)
    if unit in {"f", "fr", "french"}:
        return french_to_mm(value)
    return value


def parse_pressure(text: str | float, *, field: str = "pressure") -> float:
    """Parse ``"3"``, ``"3 atm"``, ``"304 kPa"`` or ``"3 bar"`` into atmospheres.

    Zero and negative pressures are refused: an inflation pressure is a gauge
    pressure above zero.
    """
    value, unit = _PRESSURE.read(text, field, "atm")
    if unit == "kpa":
        return value / KPA_PER_ATM
    if unit == "bar":
        return value / BAR_PER_ATM
    return value


def format_length(mm: float, unit: LengthUnit = "mm") -> str:
    """Show a length in millimetres, inches (3 decimals) or French (1 decimal)."""
    other = {"in": f"{mm_to_inches(mm):.3f} in", "F": f"{mm_to_french(mm):.1f} F"}
    return other.get(unit, f"{mm:.2f} mm")


def format_pressure(atm: float, unit: PressureUnit = "atm") -> str:
    """Show a pressure in atmospheres, kilopascals or bar."""
    other = {"kPa": f"{atm * KPA_PER_ATM:.0f} kPa", "bar": f"{atm * BAR_PER_ATM:.1f} bar"}
    return other.get(unit, f"{atm:g} atm")
