"""Balloon and stent-system diameter at an inflation pressure.

A published compliance chart (pressure -> diameter) is interpolated linearly
between its rows. None of the catalogue's products has a chart transcribed yet
(the IFU tables were not reachable), so most answers come from an *estimated*
chart: the nominal diameter at the nominal pressure, growing linearly with
pressure at the class rate of the catalogue rules:

* semi-compliant: +15 % (range 7-18 %) of nominal over 2 -> 10 atm, i.e. about
  1.9 %/atm (0.9-2.3 %/atm), bench-measured on older PVC/PE balloons
  (``AJC86_BALLOON_PRESSURE``); labelled sizes were reached below 6 atm
  (``CALIB_PE_BALLOONS``).
* non-compliant: up to 110 % of nominal at rated burst pressure
  (``CARDIOPHILE_COMPLIANCE``, a weak source), taken as an upper bound.

Safety rules (design brief): above the rated burst pressure the answer is a
refusal (:class:`~stentguide.errors.DeviceError`); below the chart's first
pressure the diameter is extrapolated *with a warning* that the balloon may not
be fully unfolded, and flagged as an estimate. Manufacturer charts are in-vitro
figures and over-estimate the in-vivo diameter (by 14 +/- 8 % for one stent
system, ``HEHRLEIN01``), which every answer mentions.
"""

from __future__ import annotations

import itertools
import math

from pydantic import BaseModel, ConfigDict, Field

from stentguide.devices._loader import class_figure
from stentguide.devices.catalog import get_device
from stentguide.devices.model import Balloon, ChartPoint, Device, Figure, StentSystem
from stentguide.devices.units import parse_pressure
from stentguide.errors import DeviceError, InputError

__all__ = ["Inflation", "PostDilatation", "balloon_diameter_at", "max_post_dilatation"]

_IN_VIVO_NOTE = "in-vitro figure: the diameter reached in a vessel is usually smaller"


class Inflation(BaseModel):
    """The diameter a balloon or stent system reaches at one pressure, and how it was found."""

    model_config = ConfigDict(frozen=True)

    device: str
    pressure_atm: float
    pressure_shown: str = Field(
        default="",
        description="The pressure as given, with atm when given in another unit "
        "('300 kPa (2.96 atm)').",
    )
    diameter_mm: float
    low_mm: float
    high_mm: float
    basis: str
    nominal_pressure_atm: float
    rated_burst_pressure_atm: float | None
    estimated: bool
    warnings: list[str]
    sources: list[str]

    def summary(self) -> str:
        """One sentence with the numbers, e.g. for a pathway step."""
        spread = (
            f" (range {self.low_mm:.2f}-{self.high_mm:.2f})"
            if self.high_mm - self.low_mm >= 0.005
            else ""
        )
        shown = self.pressure_shown or f"{self.pressure_atm:g} atm"
        return f"{self.diameter_mm:.2f} mm{spread} at {shown} ({self.basis})"


class PostDilatation(BaseModel):
    """How far a stent may be post-dilated, when a source says so."""

    model_config = ConfigDict(frozen=True)

    device: str
    max_diameter_mm: float | None
    estimated: bool
    message: str
    sources: list[str]


def _resolve(device: Device | str) -> Device:
    return get_device(device) if isinstance(device, str) else device


def _interp(chart: list[ChartPoint], pressure: float) -> float:
    rows = sorted(chart, key=lambda r: r.pressure_atm)
    for left, right in itertools.pairwise(rows):
        if left.pressure_atm <= pressure <= right.pressure_atm:
            span = right.pressure_atm - left.pressure_atm
            t = 0.0 if span == 0 else (pressure - left.pressure_atm) / span
            return left.diameter_mm + t * (right.diameter_mm - left.diameter_mm)
    first, second = rows[0], rows[1]
    slope = (second.diameter_mm - first.diameter_mm) / (second.pressure_atm - first.pressure_atm)
    return first.diameter_mm + slope * (pressure - first.pressure_atm)


def _slope(device: Balloon | StentSystem, nominal: float, burst: Figure | None) -> Figure:
    if device.compliance == "semi_compliant":
        return class_figure("semi_compliant_growth_per_atm", unit="atm")
    growth = class_figure("non_compliant_max_growth", unit="atm")
    if burst is None or burst.value <= nominal:
        raise DeviceError(
            f"{device.name}: the rated burst pressure of this non-compliant device is not "
            "known, so no diameter can be estimated; declare it, e.g. "
            "'balloon 3.0x12 NC 12/20 atm'"
        )
    per_atm = (growth.value - 1.0) / (burst.value - nominal)
    return Figure(
        value=per_atm,
        confidence=growth.confidence,
        sources=growth.sources,
        note="upper bound: linear growth to the class maximum at rated burst pressure",
    )


def _shown(given: float | str, atm: float) -> str:
    """``3 atm``; a pressure given in kPa or bar keeps its unit, with atm to 2 decimals."""
    text = str(given).strip()
    if isinstance(given, str) and not text.lower().endswith("atm") and not _is_number(text):
        return f"{' '.join(text.split())} ({atm:.2f} atm)"
    return f"{atm:g} atm"


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def balloon_diameter_at(device: Device | str, pressure_atm: float | str) -> Inflation:
    """Diameter of a balloon or stent delivery system at ``pressure_atm``.

    ``pressure_atm`` may be a number of atm or a string with a unit ("300 kPa",
    "3 bar"). Refuses a pressure above the rated burst pressure
    (:class:`~stentguide.errors.DeviceError`) and a device that does not inflate
    (:class:`~stentguide.errors.InputError`).
    """
    dev = _resolve(device)
    pressure = parse_pressure(pressure_atm)
    shown = _shown(pressure_atm, pressure)
    if not isinstance(dev, Balloon | StentSystem):
        raise InputError(
            "not inflatable", {"device": f"{dev.name} is a {dev.kind}, not a balloon or stent"}
        )
    burst = dev.rated_burst_pressure
    if burst is not None and pressure > burst.value + 1e-9:
        raise DeviceError(
            f"{dev.name}: {shown} is above the rated burst pressure "
            f"({burst.value:g} atm{', unverified' if burst.estimated else ''}); refused"
        )
    warnings: list[str] = [_IN_VIVO_NOTE]
    sources = [*dev.sources, *class_figure("in_vivo_overestimate", unit="atm").sources]
    if dev.chart and len(dev.chart) >= 2:
        first = min(r.pressure_atm for r in dev.chart)
        diameter = _interp(dev.chart, pressure)
        low = high = diameter
        basis = "published chart"
        nominal_value = first
        estimated = False
    else:
        if dev.nominal_pressure is None:
            example = (
                "'balloon 3.0x12 NC 12/20 atm'"
                if isinstance(dev, Balloon)
                else "'stent 3.0x18 10/16 atm'"
            )
            raise DeviceError(
                f"{dev.name}: nominal pressure unknown, so no diameter can be estimated; "
                f"declare the nominal and rated burst pressures, e.g. {example}"
            )
        nominal_value = dev.nominal_pressure.value
        slope = _slope(dev, nominal_value, burst)
        delta = pressure - nominal_value
        values = [dev.diameter_mm * (1 + s * delta) for s in (slope.lowest, slope.highest)]
        diameter = dev.diameter_mm * (1 + slope.value * delta)
        low, high = min(values), max(values)
        first = nominal_value
        basis = "estimated chart"
        estimated = True
        sources += [*dev.nominal_pressure.sources, *slope.sources]
        if dev.nominal_pressure.estimated:
            warnings.append(
                f"nominal pressure {nominal_value:g} atm is {dev.nominal_pressure.confidence}"
            )
    if pressure < first - 1e-9:
        basis = f"{basis}, extrapolated below {first:g} atm"
        estimated = True
        warnings.append(
            f"{shown} is below the chart's first pressure ({first:g} atm): the balloon "
            "may not be fully unfolded and the diameter may be smaller than shown"
        )
    if burst is None:
        warnings.append("rated burst pressure unknown: check the label before inflating further")
    elif burst.estimated:
        warnings.append(f"rated burst pressure {burst.value:g} atm is {burst.confidence}")
        estimated = True
    if burst is not None:
        sources += burst.sources
    if not math.isfinite(diameter) or diameter <= 0:
        raise DeviceError(f"{dev.name}: no meaningful diameter at {shown}")
    return Inflation(
        device=dev.name,
        pressure_atm=pressure,
        pressure_shown=shown,
        diameter_mm=round(diameter, 3),
        low_mm=round(max(low, 0.0), 3),
        high_mm=round(high, 3),
        basis=basis,
        nominal_pressure_atm=nominal_value,
        rated_burst_pressure_atm=burst.value if burst else None,
        estimated=estimated,
        warnings=warnings,
        sources=list(dict.fromkeys(sources)),
    )


def max_post_dilatation(device: Device | str) -> PostDilatation:
    """The largest diameter a stent may be post-dilated to, where a source gives one."""
    dev = _resolve(device)
    if not isinstance(dev, StentSystem):
        raise InputError("not a stent", {"device": f"{dev.name} is a {dev.kind}, not a stent"})
    fig = dev.max_post_dilatation
    if fig is None:
        return PostDilatation(
            device=dev.name,
            max_diameter_mm=None,
            estimated=True,
            message=(
                f"{dev.name}: no published maximum post-dilatation diameter in the catalogue; "
                "check the IFU"
            ),
            sources=list(dev.sources),
        )
    label = {"labelled": "maker's figure", "measured": "bench maximum"}.get(
        fig.confidence, fig.confidence
    )
    note = f"; {fig.note}" if fig.note else ""
    return PostDilatation(
        device=dev.name,
        max_diameter_mm=fig.value,
        estimated=fig.estimated,
        message=f"{dev.name}: up to {fig.value:.2f} mm ({label}){note}",
        sources=list(dict.fromkeys([*dev.sources, *fig.sources])),
    )
