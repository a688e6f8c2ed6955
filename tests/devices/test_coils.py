"""Coils and covered stents: the generic coil, the coil-in-microcatheter rule, the covered flag."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from stentguide import devices as dv
from stentguide.devices.model import Coil
from stentguide.errors import InputError


def _coil_requirement() -> dv.DeviceRequirement:
    return dv.DeviceRequirement(
        role="coil",
        kind="coil",
        label="a coil smaller than the microcatheter lumen",
        within="microcatheter",
        sources=["LOH23", "COILCOMPAT23"],
    )


def test_a_generic_coil_is_its_diameter() -> None:
    coil = dv.get_device("coil 0.018 in")
    assert isinstance(coil, Coil) and coil.diameter.value == pytest.approx(0.4572)
    with pytest.raises(InputError, match="coil"):
        dv.get_device("coil")


def test_a_coil_passes_only_a_larger_lumen() -> None:
    req = _coil_requirement()
    ok = dv.check_requirement(
        req, {"coil": "coil 0.018 in", "microcatheter": "microcatheter 2.6F 0.021 in"}
    )
    assert ok.status == "ok" and "COILCOMPAT23" in ok.sources
    jam = dv.check_requirement(
        req, {"coil": "coil 0.018 in", "microcatheter": "microcatheter 2.6F 0.018 in"}
    )
    assert jam.status == "fail" and "jam" in jam.message
    open_ = dv.check_requirement(
        req, {"coil": "coil 0.018 in", "microcatheter": "microcatheter 2.6F"}
    )
    assert open_.status == "unknown" and "inner diameter not known" in open_.message


@given(
    coil=st.floats(min_value=0.008, max_value=0.040),
    lumen=st.floats(min_value=0.008, max_value=0.040),
)
def test_the_coil_rule_is_coil_below_lumen(coil: float, lumen: float) -> None:
    check = dv.check_requirement(
        _coil_requirement(),
        {"coil": f"coil {coil:.4f} in", "microcatheter": f"microcatheter 2.6F {lumen:.4f} in"},
    )
    assert check.status == ("ok" if round(coil, 4) < round(lumen, 4) else "fail")


def test_only_a_covered_stent_meets_a_covered_stent_requirement() -> None:
    req = dv.DeviceRequirement(
        role="covered_stent", kind="stent", label="a covered stent", covered=True, sources=["REC22"]
    )
    assert dv.check_requirement(req, {"covered_stent": "PK Papyrus 3.0"}).status == "ok"
    assert dv.check_requirement(req, {"covered_stent": "Graftmaster RX 4.8"}).status == "ok"
    assert dv.check_requirement(req, {"covered_stent": "stent 3.0x18"}).status == "fail"
