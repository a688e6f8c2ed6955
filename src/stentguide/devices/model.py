"""The device catalogue's data model: figures with their confidence, and the device kinds.

A :class:`Figure` is one number (millimetres or atmospheres) with the sources it
comes from and how far it can be trusted. ``value`` is the figure the arithmetic
uses; when a source gives a range, ``low`` and ``high`` keep it, and ``value`` is
the end that is safe for the question the figure answers (the *largest* profile of
a device, the *smallest* lumen of a catheter).

Confidence levels
-----------------
``labelled``    printed by the maker (label, IFU, product page) and read in the cited source
``measured``    measured by an independent bench study cited
``declared``    given by the operator in a generic description ("6F guide 0.070 in")
``weak``        read, but in a weak source (a blog, a slide deck, a third-party list)
``derived``     computed here from cited figures (stated in ``note``)
``unverified``  commonly published but not confirmed in any source read; the
                sources cited identify the product only. Verify against the IFU.

The last three are *estimates*: wherever such a figure is used, the result says so.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = [
    "ESTIMATE_LEVELS",
    "Balloon",
    "ChartPoint",
    "Coil",
    "Compliance",
    "Confidence",
    "Device",
    "DeviceKind",
    "Figure",
    "Guide",
    "GuideExtension",
    "Guidewire",
    "Microcatheter",
    "Snare",
    "StentSystem",
]

Confidence = Literal["labelled", "measured", "declared", "weak", "derived", "unverified"]
ESTIMATE_LEVELS: frozenset[str] = frozenset({"weak", "derived", "unverified"})

DeviceKind = Literal[
    "guide", "guide_extension", "balloon", "stent", "snare", "guidewire", "microcatheter", "coil"
]
Compliance = Literal["semi_compliant", "non_compliant"]


class Figure(BaseModel):
    """One sourced number, with its confidence and, if the source gives one, its range."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    value: float = Field(gt=0)
    low: float | None = Field(default=None, gt=0)
    high: float | None = Field(default=None, gt=0)
    confidence: Confidence
    sources: list[str] = Field(min_length=0)
    note: str | None = None

    @model_validator(mode="after")
    def _range_holds_value(self) -> Figure:
        if self.low is not None and self.low > self.value + 1e-9:
            raise ValueError(f"low {self.low} is above value {self.value}")
        if self.high is not None and self.high < self.value - 1e-9:
            raise ValueError(f"high {self.high} is below value {self.value}")
        if self.confidence != "declared" and not self.sources:
            raise ValueError("a catalogue figure needs at least one source")
        return self

    @property
    def estimated(self) -> bool:
        """True when the figure is an estimate (weak source, derived or unverified)."""
        return self.confidence in ESTIMATE_LEVELS

    @property
    def lowest(self) -> float:
        """The low end of the range (the value itself when no range is known)."""
        return self.low if self.low is not None else self.value

    @property
    def highest(self) -> float:
        """The high end of the range (the value itself when no range is known)."""
        return self.high if self.high is not None else self.value


class ChartPoint(BaseModel):
    """One row of a published compliance chart: pressure (atm) -> diameter (mm)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    pressure_atm: float = Field(gt=0)
    diameter_mm: float = Field(gt=0)


class _DeviceBase(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1)
    family: str = Field(min_length=1, description="Product line, or 'generic'.")
    maker: str | None = None
    generic: bool = False
    sources: list[str] = Field(default_factory=list)
    note: str | None = None

    def figures(self) -> dict[str, Figure]:
        """Every figure of the device, by field name."""
        return {
            name: value
            for name in type(self).model_fields
            if isinstance(value := getattr(self, name), Figure)
        }

    @property
    def estimated(self) -> bool:
        """True when any figure of the device is an estimate."""
        return any(f.estimated for f in self.figures().values())

    def all_sources(self) -> list[str]:
        """The device's sources and those of each of its figures, in order, once each."""
        keys = list(self.sources)
        for fig in self.figures().values():
            keys.extend(fig.sources)
        return list(dict.fromkeys(keys))


class Guide(_DeviceBase):
    """A guide catheter of one model and French size."""

    kind: Literal["guide"] = "guide"
    french: float = Field(gt=0)
    inner_diameter: Figure
    outer_diameter: Figure


class GuideExtension(_DeviceBase):
    """A rapid-exchange guide extension catheter (mother-and-child)."""

    kind: Literal["guide_extension"] = "guide_extension"
    french: float = Field(gt=0)
    inner_diameter: Figure
    outer_diameter: Figure


class Balloon(_DeviceBase):
    """A coronary dilatation balloon of one diameter (length optional)."""

    kind: Literal["balloon"] = "balloon"
    compliance: Compliance
    diameter_mm: float = Field(gt=0)
    length_mm: float | None = Field(default=None, gt=0)
    nominal_pressure: Figure | None = None
    rated_burst_pressure: Figure | None = None
    chart: list[ChartPoint] | None = None
    crossing_profile: Figure | None = None
    shaft_diameter: Figure | None = None
    markers: int | None = Field(default=None, ge=0, le=4)
    use_shaft: bool = Field(
        default=False, description="Stand for the shaft beside another device, not the balloon."
    )


class StentSystem(_DeviceBase):
    """A balloon-expandable stent crimped on its delivery balloon, of one diameter."""

    kind: Literal["stent"] = "stent"
    compliance: Compliance = "semi_compliant"
    diameter_mm: float = Field(gt=0)
    length_mm: float | None = Field(default=None, gt=0)
    nominal_pressure: Figure | None = None
    rated_burst_pressure: Figure | None = None
    chart: list[ChartPoint] | None = None
    crossing_profile: Figure | None = None
    strut_thickness: Figure | None = None
    max_post_dilatation: Figure | None = None
    min_guide_french: Figure | None = None
    covered: bool = Field(
        default=False, description="A covered stent (stent graft) that seals a perforation."
    )


class Snare(_DeviceBase):
    """A loop snare: loop working diameter range and the catheter it comes in."""

    kind: Literal["snare"] = "snare"
    loops: Literal["single", "multiple"]
    loop_min: Figure
    loop_max: Figure
    catheter_outer_diameter: Figure


class Guidewire(_DeviceBase):
    """A guidewire, by its diameter."""

    kind: Literal["guidewire"] = "guidewire"
    diameter: Figure


class Microcatheter(_DeviceBase):
    """A microcatheter, by outer (and if known inner) diameter."""

    kind: Literal["microcatheter"] = "microcatheter"
    outer_diameter: Figure
    inner_diameter: Figure | None = None


class Coil(_DeviceBase):
    """An embolisation coil, by its primary (wire) diameter: what must pass the microcatheter."""

    kind: Literal["coil"] = "coil"
    diameter: Figure


Device = Annotated[
    Guide | GuideExtension | Balloon | StentSystem | Snare | Guidewire | Microcatheter | Coil,
    Field(discriminator="kind"),
]
