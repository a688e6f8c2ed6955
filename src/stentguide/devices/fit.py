"""Will these devices pass side by side through this guide (or guide extension)?

Geometry: round devices side by side inside a round lumen. Two circles of
diameters d1 and d2 fit inside a circle of diameter D exactly when
d1 + d2 <= D; for more devices the sum of diameters is the test the research
note uses (each extra 0.014 in wire adds 0.36 mm), and it is never optimistic.
Each device counts with its *largest* diameter where the profiles overlap: the
crossing profile of a balloon or crimped stent, the outer diameter of a
catheter, the diameter of a wire.

The verdict uses two sums. The *safe* sum takes the high end of every profile
against the low end of the lumen; the *best case* takes the low ends against
the high end. ``fits`` needs the safe margin to exceed the tolerance for
labelled deflated profiles being too small (0.003 in, ``BALLOON_PROFILE_ACCURACY``);
``does_not_fit`` means even the best case fails; anything between is
``borderline``: test outside the patient.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from pydantic import BaseModel, ConfigDict

from stentguide.devices._loader import class_figure
from stentguide.devices.catalog import get_device, list_devices
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
from stentguide.errors import InputError

__all__ = [
    "FitItem",
    "FitResult",
    "SnareChoice",
    "SnareOption",
    "check_fit",
    "choose_snare",
    "lumen_of",
    "profile_of",
]

Verdict = Literal["fits", "borderline", "does_not_fit"]


class FitItem(BaseModel):
    """One device inside the lumen, with the diameter it takes up there."""

    model_config = ConfigDict(frozen=True)

    device: str
    kind: str
    part: str
    profile_mm: float
    profile_low_mm: float
    estimated: bool
    sources: list[str]


class FitResult(BaseModel):
    """Yes or no with the numbers: lumen, sum of profiles, margin and why."""

    model_config = ConfigDict(frozen=True)

    container: str
    lumen_mm: float
    lumen_high_mm: float
    items: list[FitItem]
    sum_mm: float
    sum_low_mm: float
    margin_mm: float
    best_case_margin_mm: float
    tolerance_mm: float
    verdict: Verdict
    estimated: bool
    explanation: str
    sources: list[str]

    @property
    def fits(self) -> bool:
        """True only for a clear fit (not borderline)."""
        return self.verdict == "fits"


def _resolve(device: Device | str) -> Device:
    return get_device(device) if isinstance(device, str) else device


def lumen_of(container: Device) -> Figure:
    """The inner diameter a device passes through: a guide, guide extension or microcatheter."""
    if isinstance(container, Guide | GuideExtension):
        return container.inner_diameter
    if isinstance(container, Microcatheter) and container.inner_diameter is not None:
        return container.inner_diameter
    raise InputError(
        "not a lumen",
        {"guide": f"{container.name} is a {container.kind}; give a guide or guide extension"},
    )


def profile_of(device: Device) -> tuple[str, Figure]:
    """The largest diameter a device takes up beside another one, and which part it is."""
    if isinstance(device, Balloon):
        if device.use_shaft:
            fig = device.shaft_diameter or class_figure("balloon_shaft_diameter")
            return "shaft", fig
        return "crossing profile", device.crossing_profile or class_figure(
            "balloon_crossing_profile"
        )
    if isinstance(device, StentSystem):
        return "crimped profile", device.crossing_profile or class_figure("stent_crossing_profile")
    if isinstance(device, Guidewire):
        return "wire", device.diameter
    if isinstance(device, Coil):
        return "coil", device.diameter
    if isinstance(device, Snare):
        return "snare catheter", device.catheter_outer_diameter
    if isinstance(device, Microcatheter | Guide | GuideExtension):
        return "outer diameter", device.outer_diameter
    raise InputError("unknown device", {"device": f"no profile for {device.name}"})


def check_fit(guide: Device | str, devices: Sequence[Device | str]) -> FitResult:
    """Whether ``devices`` pass together, side by side, through ``guide``.

    ``guide`` may be a guide catheter, a guide extension or a microcatheter with a
    known lumen. Each entry of ``devices`` is one device at the same axial
    position; list a wire once per wire running alongside.
    """
    container = _resolve(guide)
    if not devices:
        raise InputError("missing devices", {"device": "give at least one device to fit"})
    lumen = lumen_of(container)
    tolerance = class_figure("profile_tolerance")
    items: list[FitItem] = []
    for entry in devices:
        dev = _resolve(entry)
        part, fig = profile_of(dev)
        items.append(
            FitItem(
                device=dev.name,
                kind=dev.kind,
                part=part,
                profile_mm=fig.highest,
                profile_low_mm=fig.lowest,
                estimated=fig.estimated,
                sources=fig.sources,
            )
        )
    total = sum(i.profile_mm for i in items)
    total_low = sum(i.profile_low_mm for i in items)
    margin = lumen.lowest - total
    best = lumen.highest - total_low
    verdict: Verdict
    if margin >= tolerance.value:
        verdict = "fits"
    elif best < 0:
        verdict = "does_not_fit"
    else:
        verdict = "borderline"
    parts = " + ".join(
        f"{i.device}{'' if i.part in i.device else ' ' + i.part} {i.profile_mm:.2f}" for i in items
    )
    lumen_text = f"{container.name} lumen {lumen.lowest:.2f} mm"
    if lumen.highest > lumen.lowest:
        lumen_text += f" (up to {lumen.highest:.2f})"
    words = {
        "fits": "fits",
        "does_not_fit": "does not fit",
        "borderline": "borderline, may not fit: test outside the patient",
    }[verdict]
    explanation = (
        f"{words}: {parts} = {total:.2f} mm in {lumen_text}; margin {margin:+.2f} mm "
        f"(best case {best:+.2f} mm, tolerance {tolerance.value:.2f} mm)"
    )
    estimated = lumen.estimated or any(i.estimated for i in items)
    if estimated:
        explanation += "; includes estimated figures"
    sources = [*lumen.sources, *tolerance.sources, *(s for i in items for s in i.sources)]
    return FitResult(
        container=container.name,
        lumen_mm=round(lumen.lowest, 3),
        lumen_high_mm=round(lumen.highest, 3),
        items=items,
        sum_mm=round(total, 3),
        sum_low_mm=round(total_low, 3),
        margin_mm=round(margin, 3),
        best_case_margin_mm=round(best, 3),
        tolerance_mm=round(tolerance.value, 3),
        verdict=verdict,
        estimated=estimated,
        explanation=explanation,
        sources=list(dict.fromkeys(sources)),
    )


class SnareOption(BaseModel):
    """A snare that opens to the vessel, with how it fits through the catheter."""

    model_config = ConfigDict(frozen=True)

    snare: str
    loop_min_mm: float
    loop_max_mm: float
    fit: FitResult


class SnareChoice(BaseModel):
    """Snares ranked for one vessel diameter and one catheter."""

    model_config = ConfigDict(frozen=True)

    vessel_diameter_mm: float
    catheter: str
    recommended: str | None
    options: list[SnareOption]
    rejected: dict[str, str]
    estimated: bool
    explanation: str
    sources: list[str]


def choose_snare(
    vessel_diameter_mm: float,
    catheter: Device | str,
    alongside: Sequence[Device | str] = (),
) -> SnareChoice:
    """Catalogue snares that open to ``vessel_diameter_mm`` and pass through ``catheter``.

    A loop must be able to span the vessel: a single loop at least as wide as the
    vessel, a multi-loop snare whose working range contains it. The snare
    catheter must pass through the catheter's lumen beside whatever runs
    ``alongside`` (a wire, an undeployed stent). Options are ranked by clear fit
    first, then smallest loop.
    """
    if not vessel_diameter_mm > 0:
        raise InputError("impossible vessel", {"vessel": "the vessel diameter must be > 0 mm"})
    container = _resolve(catheter)
    others = [_resolve(d) for d in alongside]
    options: list[SnareOption] = []
    rejected: dict[str, str] = {}
    snares = [s for s in list_devices("snare") if isinstance(s, Snare)]
    for snare in snares:
        lo, hi = snare.loop_min.value, snare.loop_max.value
        if snare.loops == "single" and hi < vessel_diameter_mm:
            rejected[snare.name] = f"loop {hi:g} mm is narrower than the vessel"
            continue
        if snare.loops == "multiple" and not lo <= vessel_diameter_mm <= hi:
            rejected[snare.name] = f"working range {lo:g}-{hi:g} mm does not contain the vessel"
            continue
        fit = check_fit(container, [snare, *others])
        if fit.verdict == "does_not_fit":
            rejected[snare.name] = fit.explanation
            continue
        options.append(SnareOption(snare=snare.name, loop_min_mm=lo, loop_max_mm=hi, fit=fit))
    options.sort(key=lambda o: (o.fit.verdict != "fits", o.loop_max_mm, o.fit.sum_mm))
    recommended = options[0].snare if options else None
    if recommended is None:
        explanation = (
            f"no catalogued snare both opens to {vessel_diameter_mm:g} mm and passes "
            f"through {container.name}"
        )
    else:
        first = options[0]
        explanation = (
            f"{recommended}: loop {first.loop_min_mm:g}-{first.loop_max_mm:g} mm for a "
            f"{vessel_diameter_mm:g} mm vessel; {first.fit.explanation}"
        )
    sources = [s for o in options for s in o.fit.sources]
    sources += [s for snare in snares for s in snare.all_sources()]
    return SnareChoice(
        vessel_diameter_mm=vessel_diameter_mm,
        catheter=container.name,
        recommended=recommended,
        options=options,
        rejected=rejected,
        estimated=any(o.fit.estimated for o in options) or any(s.estimated for s in snares),
        explanation=explanation,
        sources=list(dict.fromkeys(sources)),
    )
