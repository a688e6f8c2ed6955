"""The device checker: fit in a guide, diameter at a pressure, snare choice; pages and API.

The page's forms use GET, so a result is a link that can be shared or reloaded,
and work without JavaScript; htmx only swaps the result in place.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.responses import HTMLResponse

from stentguide import devices
from stentguide.errors import InputError, StentguideError
from stentguide.web.lookup import find_or_404
from stentguide.web.navigation import NavLink
from stentguide.web.templating import render
from stentguide.web.views import sources_view

router = APIRouter()
NAV = (NavLink(20, "Devices", "/devices"),)

DeviceName = Annotated[str, Field(min_length=1, max_length=200)]


class DeviceSummary(BaseModel):
    """A catalogue line."""

    name: str
    kind: str
    family: str
    estimated: bool


class FitIn(BaseModel):
    """Devices side by side inside a guide (or guide extension)."""

    model_config = ConfigDict(extra="forbid")

    guide: DeviceName
    devices: Annotated[list[DeviceName], Field(min_length=1, max_length=6)]


class InflationIn(BaseModel):
    """A balloon or stent system and a pressure (number in atm, or text such as "1200 kPa")."""

    model_config = ConfigDict(extra="forbid")

    device: DeviceName
    pressure: float | Annotated[str, Field(min_length=1, max_length=40)]


class SnareIn(BaseModel):
    """A vessel diameter and the catheter the snare must pass through."""

    model_config = ConfigDict(extra="forbid")

    vessel_diameter_mm: float = Field(gt=0)
    catheter: DeviceName
    alongside: Annotated[list[DeviceName], Field(max_length=4)] = Field(default_factory=list)


@router.get("/api/devices", tags=["devices"])
def api_devices(
    kind: Annotated[str | None, Query(max_length=40, description="guide, balloon, ...")] = None,
) -> list[DeviceSummary]:
    """The device catalogue, optionally of one kind."""
    return [
        DeviceSummary(name=d.name, kind=d.kind, family=d.family, estimated=d.estimated)
        for d in devices.list_devices(kind)
    ]


@router.post("/api/devices/fit", tags=["devices"])
def api_fit(body: FitIn) -> devices.FitResult:
    """Whether the devices pass side by side through the guide, with the numbers."""
    return devices.check_fit(body.guide, body.devices)


@router.post("/api/devices/inflation", tags=["devices"])
def api_inflation(body: InflationIn) -> devices.Inflation:
    """The diameter a balloon or stent system reaches at a pressure."""
    return devices.balloon_diameter_at(body.device, body.pressure)


@router.post("/api/devices/snare", tags=["devices"])
def api_snare(body: SnareIn) -> devices.SnareChoice:
    """Catalogue snares that open to the vessel and pass through the catheter."""
    return devices.choose_snare(body.vessel_diameter_mm, body.catheter, body.alongside)


_ACTIONS = ("fit", "inflation", "snare")
_NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"description": "No device matches the name or description."},
    405: {"description": "The path names a device check (fit, inflation, snare): use POST."},
}


@router.get("/api/devices/{name}", tags=["devices"], responses=_NOT_FOUND)
def api_device(name: str) -> dict[str, Any]:
    """One device (catalogue name or generic description) with every figure and source.

    Declared after the POST checks, so ``/api/devices/fit`` and its siblings are
    theirs: a GET there answers 405 with ``Allow: POST`` rather than a device lookup.
    """
    if name in _ACTIONS:
        raise HTTPException(405, "use POST for this check", headers={"Allow": "POST"})
    return find_or_404("device", name, devices.get_device).model_dump(mode="json")


def _attempt(kind: str, call: Any) -> tuple[Any, dict[str, str], str | None]:
    try:
        return call(), {}, None
    except InputError as exc:
        problems = exc.problems or {kind: str(exc)}
        return None, problems, str(exc)
    except StentguideError as exc:
        return None, {kind: str(exc)}, str(exc)


@router.get("/devices", include_in_schema=False)
def devices_page(
    request: Request,
    tool: Annotated[str | None, Query(max_length=20)] = None,
    guide: Annotated[str, Query(max_length=200)] = "",
    device: Annotated[list[str] | None, Query(max_length=200)] = None,
    balloon: Annotated[str, Query(max_length=200)] = "",
    pressure: Annotated[str, Query(max_length=40)] = "",
    vessel: Annotated[str, Query(max_length=20)] = "",
    catheter: Annotated[str, Query(max_length=200)] = "",
) -> HTMLResponse:
    """Three small tools; the one submitted shows its result under its form."""
    inside = [d.strip() for d in (device or []) if d.strip()]
    result: Any = None
    problems: dict[str, str] = {}
    error: str | None = None
    if tool == "fit":
        missing = {"guide": "required"} if not guide.strip() else {}
        if not inside:
            missing["device"] = "give at least one device to pass through the guide"
        if missing:
            problems, error = missing, "The fit check needs a guide and a device."
        else:
            result, problems, error = _attempt("device", lambda: devices.check_fit(guide, inside))
    elif tool == "inflation":
        missing = {
            k: "required" for k, v in (("balloon", balloon), ("pressure", pressure)) if not v
        }
        if missing:
            problems, error = missing, "The diameter check needs a balloon and a pressure."
        else:
            result, problems, error = _attempt(
                "balloon", lambda: devices.balloon_diameter_at(balloon, pressure)
            )
    elif tool == "snare":
        result, problems, error = _snare(vessel, catheter)
    sources = sources_view(list(getattr(result, "sources", []) or []))
    context = {
        "tool": tool,
        "values": {
            "guide": guide,
            "device": inside + [""] * max(0, 3 - len(inside)),
            "balloon": balloon,
            "pressure": pressure,
            "vessel": vessel,
            "catheter": catheter,
        },
        "result": result,
        "problems": problems,
        "error": error,
        "sources": sources,
        "device_names": [d.name for d in devices.list_devices()],
        "kinds": devices.DEVICE_KINDS,
    }
    status = 422 if error else 200
    template = (
        "devices/_result.html"
        if request.headers.get("HX-Request") and tool
        else "devices/page.html"
    )
    return render(request, template, context, status_code=status, title="Device checker")


def _snare(vessel: str, catheter: str) -> tuple[Any, dict[str, str], str | None]:
    problems: dict[str, str] = {}
    if not vessel.strip():
        problems["vessel"] = "required"
    if not catheter.strip():
        problems["catheter"] = "required"
    if problems:
        return None, problems, "The snare choice needs a vessel diameter and a catheter."
    try:
        diameter = float(vessel)
    except ValueError:
        return (
            None,
            {"vessel": "must be a number of millimetres"},
            "Vessel diameter is not a number.",
        )
    return _attempt("vessel", lambda: devices.choose_snare(diameter, catheter))
