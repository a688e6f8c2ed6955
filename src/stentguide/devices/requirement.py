"""Device requirements on pathway steps, checked against the devices a case declares.

A protocol's action step may say which device it needs ("a new balloon of 1.5 mm
or less, single marker, inflated at 3 atm, beside the stent in the guide"). The
protocol engine calls :func:`check_requirement` for each such requirement with
the case's declared devices (role -> name) and records the :class:`DeviceCheck`
in the session. The check is pure: same input, same answer, no I/O beyond the
catalogue loaded once.

What "diameter" means for ``min_diameter_mm``/``max_diameter_mm``: the nominal
diameter of a balloon or stent, the largest loop of a snare, the inner diameter
of a guide, guide extension or microcatheter, the diameter of a wire.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from stentguide.devices.catalog import get_device
from stentguide.devices.compliance import balloon_diameter_at
from stentguide.devices.fit import check_fit
from stentguide.devices.model import (
    Balloon,
    Coil,
    Device,
    Guide,
    GuideExtension,
    Guidewire,
    Microcatheter,
    Snare,
    StentSystem,
)
from stentguide.errors import DeviceError

__all__ = ["DeviceCheck", "DeviceRequirement", "check_requirement"]

RequirementKind = Literal[
    "guide", "guide_extension", "balloon", "stent", "snare", "guidewire", "microcatheter", "coil"
]

COIL_LUMEN_SOURCES = ["COILCOMPAT23", "LOH23"]
"""Coils pass a microcatheter when their diameter is below its (tip) inner diameter."""


class DeviceRequirement(BaseModel):
    """A device constraint declared on a protocol action step, under ``device_requirements:``.

    ``role`` names the one device the constraint concerns (``small_balloon``,
    ``nc_balloon``, ``retrieval_balloon``...): a case declares its devices by role,
    so a step that recommends two balloons gives each its own role and neither
    constraint is checked against the other device.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    role: str = Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)
    kind: RequirementKind
    label: str = Field(min_length=1)
    compliance: Literal["semi_compliant", "non_compliant"] | None = None
    covered: bool | None = Field(
        default=None, description="The step needs a covered stent (stent graft)."
    )
    within: str | None = Field(
        default=None,
        description="The role of the microcatheter whose lumen this device must pass (a coil).",
    )
    max_diameter_mm: float | None = Field(default=None, gt=0)
    min_diameter_mm: float | None = Field(default=None, gt=0)
    markers: int | None = Field(default=None, ge=0)
    inflate_at_atm: float | None = Field(default=None, gt=0)
    fits_with: list[str] = []
    sources: list[str]


class DeviceCheck(BaseModel):
    """The result of one requirement against the declared devices (stored in the session)."""

    role: str
    label: str
    status: Literal["ok", "fail", "unknown"]
    message: str
    figures: dict[str, float | str] = {}
    estimated: bool = False
    sources: list[str] = []


_COMPLIANCE_WORDS = {"semi_compliant": "semi-compliant", "non_compliant": "non-compliant"}


def _describe(dev: Device) -> str:
    if isinstance(dev, Balloon | StentSystem):
        size = f"{dev.diameter_mm:g}"
        if dev.length_mm:
            size += f" x {dev.length_mm:g}"
        what = (
            f"{_COMPLIANCE_WORDS[dev.compliance]} balloon"
            if isinstance(dev, Balloon)
            else "stent system"
        )
        return f"{dev.name} ({size} mm {what})"
    return dev.name


def _diameter(dev: Device) -> float:
    if isinstance(dev, Balloon | StentSystem):
        return dev.diameter_mm
    if isinstance(dev, Snare):
        return dev.loop_max.value
    if isinstance(dev, Guide | GuideExtension):
        return dev.inner_diameter.value
    if isinstance(dev, Guidewire):
        return dev.diameter.value
    if isinstance(dev, Microcatheter):
        return (dev.inner_diameter or dev.outer_diameter).value
    if isinstance(dev, Coil):
        return dev.diameter.value
    raise DeviceError(f"{dev.name}: no diameter")


@dataclass
class _Findings:
    figures: dict[str, float | str]
    sources: list[str]
    estimated: bool
    problems: list[str] = field(default_factory=list)
    unknowns: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _check_device(req: DeviceRequirement, dev: Device, out: _Findings) -> None:
    if dev.kind != req.kind:
        out.problems.append(f"{dev.name} is a {dev.kind.replace('_', ' ')}, not a {req.kind}")
        return
    diameter = _diameter(dev)
    out.figures["diameter_mm"] = round(diameter, 3)
    if req.covered:
        if isinstance(dev, StentSystem) and dev.covered:
            out.figures["covered"] = "yes"
        else:
            out.problems.append("not a covered stent: the step needs a covered stent (stent graft)")
    if req.compliance is not None:
        compliance = dev.compliance if isinstance(dev, Balloon) else None
        wanted = _COMPLIANCE_WORDS[req.compliance]
        if compliance is None:
            out.unknowns.append(f"compliance not known: the step needs a {wanted} balloon")
        elif compliance != req.compliance:
            out.problems.append(
                f"a {_COMPLIANCE_WORDS[compliance]} balloon, the step needs {wanted}"
            )
    if req.max_diameter_mm is not None and diameter > req.max_diameter_mm + 1e-9:
        out.problems.append(f"{diameter:g} mm is above the {req.max_diameter_mm:g} mm limit")
    if req.min_diameter_mm is not None and diameter < req.min_diameter_mm - 1e-9:
        out.problems.append(f"{diameter:g} mm is below the {req.min_diameter_mm:g} mm minimum")
    if req.markers is not None:
        markers = dev.markers if isinstance(dev, Balloon) else None
        if markers is None:
            out.unknowns.append("marker count not known: check the label")
        elif markers != req.markers:
            out.problems.append(f"{markers} marker(s), the step needs {req.markers}")
        else:
            out.figures["markers"] = markers
    if req.inflate_at_atm is not None:
        try:
            inflation = balloon_diameter_at(dev, req.inflate_at_atm)
        except DeviceError as exc:
            # a missing figure leaves the check open; a refusal (past rated burst) fails it
            chart = getattr(dev, "chart", None)
            has_figures = bool(chart and len(chart) >= 2) or (
                getattr(dev, "nominal_pressure", None) is not None
            )
            (out.problems if has_figures else out.unknowns).append(str(exc))
            return
        out.figures["pressure_atm"] = req.inflate_at_atm
        out.figures["diameter_at_pressure_mm"] = inflation.diameter_mm
        out.estimated = out.estimated or inflation.estimated
        out.sources += inflation.sources
        out.notes.append(inflation.summary())
        out.notes.extend(w for w in inflation.warnings if "below the chart" in w)


def _check_fit(
    req: DeviceRequirement, dev: Device, devices: Mapping[str, str], out: _Findings
) -> None:
    container_role = "guide_extension" if devices.get("guide_extension") else "guide"
    missing = [r for r in [container_role, *req.fits_with] if not devices.get(r)]
    if missing:
        wanted = ", ".join(m.replace("_", " ") for m in missing)
        out.unknowns.append(f"declare the {wanted} to check the fit")
        return
    fit = check_fit(devices[container_role], [dev, *(devices[r] for r in req.fits_with)])
    out.figures.update(
        {
            "lumen_mm": fit.lumen_mm,
            "sum_of_profiles_mm": fit.sum_mm,
            "margin_mm": fit.margin_mm,
            "fit": fit.verdict,
        }
    )
    out.estimated = out.estimated or fit.estimated
    out.sources += fit.sources
    if fit.verdict == "does_not_fit":
        out.problems.append(fit.explanation)
    elif fit.verdict == "borderline":
        out.unknowns.append(fit.explanation)
    else:
        out.notes.append(fit.explanation)


def _check_within(
    req: DeviceRequirement, dev: Device, devices: Mapping[str, str], out: _Findings
) -> None:
    """A coil must be smaller than the lumen of the microcatheter that delivers it."""
    assert req.within is not None
    name = devices.get(req.within)
    if not name:
        out.unknowns.append(
            f"declare the {req.within.replace('_', ' ')} to check the coil passes it"
        )
        return
    container = get_device(name)
    lumen = container.inner_diameter if isinstance(container, Microcatheter) else None
    if lumen is None:
        out.unknowns.append(
            f"{container.name}: inner diameter not known, check the coil in its IFU"
        )
        return
    size = dev.diameter if isinstance(dev, Coil) else None
    if size is None:
        out.problems.append(f"{dev.name} is not a coil")
        return
    out.sources += [*COIL_LUMEN_SOURCES, *container.all_sources()]
    out.estimated = out.estimated or lumen.estimated or container.estimated
    out.figures["lumen_mm"] = round(lumen.lowest, 3)
    if size.highest < lumen.lowest:
        out.notes.append(
            f"{size.highest:.3f} mm coil passes the {lumen.lowest:.3f} mm lumen of {container.name}"
        )
    else:
        out.problems.append(
            f"{size.highest:.3f} mm coil does not pass the {lumen.lowest:.3f} mm lumen of "
            f"{container.name}: it would jam"
        )


def check_requirement(req: DeviceRequirement, devices: Mapping[str, str]) -> DeviceCheck:
    """Check one step requirement against the case's declared devices (role -> device name).

    Status ``unknown`` when the role (or a role it must fit with, or the guide) is
    not declared, a figure the check needs is missing, or a fit is borderline;
    ``fail`` when a constraint is broken; ``ok`` otherwise. An unknown device name
    raises :class:`~stentguide.errors.UnknownNameError`.
    """
    name = devices.get(req.role)
    if not name:
        return DeviceCheck(
            role=req.role,
            label=req.label,
            status="unknown",
            message=f"declare the {req.role.replace('_', ' ')} ({req.label}) to check this step",
            sources=list(req.sources),
        )
    dev = get_device(name)
    out = _Findings(
        figures={"device": dev.name},
        sources=[*req.sources, *dev.all_sources()],
        estimated=dev.estimated,
    )
    _check_device(req, dev, out)
    if req.fits_with:
        _check_fit(req, dev, devices, out)
    if req.within:
        _check_within(req, dev, devices, out)
    status: Literal["ok", "fail", "unknown"]
    if out.problems:
        status, lead = "fail", "; ".join(out.problems)
    elif out.unknowns:
        status, lead = "unknown", "; ".join(out.unknowns)
    else:
        status, lead = "ok", "meets the step's constraints"
    message = f"{_describe(dev)}: {lead}"
    if out.notes:
        message += ". " + "; ".join(out.notes)
    if out.estimated:
        message += " (includes estimated figures)"
    return DeviceCheck(
        role=req.role,
        label=req.label,
        status=status,
        message=message,
        figures=out.figures,
        estimated=out.estimated,
        sources=list(dict.fromkeys(out.sources)),
    )
