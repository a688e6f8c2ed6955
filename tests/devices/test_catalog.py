"""The catalogue loads, every figure is sourced, names resolve and unknown names suggest."""

from __future__ import annotations

import pytest

from stentguide import devices as dv
from stentguide.devices.model import Figure, Guide, GuideExtension
from stentguide.errors import InputError, UnknownNameError
from stentguide.references import load_references


def test_catalogue_covers_every_kind_except_microcatheter_and_coil() -> None:
    # no source read gives the dimensions of a named microcatheter or coil: both are
    # described generically by the operator ("microcatheter 2.6F 0.021 in", "coil 0.018 in")
    kinds = {d.kind for d in dv.list_devices()}
    assert kinds == set(dv.DEVICE_KINDS) - {"microcatheter", "coil"}


@pytest.mark.parametrize("device", dv.list_devices(), ids=lambda d: d.name)
def test_every_figure_has_a_known_source_and_a_confidence(device: dv.Device) -> None:
    refs = load_references()
    for name, fig in device.figures().items():
        assert isinstance(fig, Figure)
        assert fig.sources, f"{device.name}.{name} has no source"
        assert all(key in refs for key in fig.sources)
        assert fig.confidence != "declared"


def test_reference_file_keys_are_all_cited_by_the_catalogue() -> None:
    from stentguide.references import cited_keys

    cited = cited_keys()
    import yaml

    from stentguide.knowledge import knowledge_path

    own = yaml.safe_load(knowledge_path("references", "devices.yaml").read_text(encoding="utf-8"))
    unused = [key for key in own if key not in cited]
    assert unused == []


def test_guide_lumen_matches_the_textbook_table() -> None:
    guide = dv.get_device("Launcher 6F")
    assert isinstance(guide, Guide)
    assert guide.inner_diameter.value == pytest.approx(0.071 * 25.4)
    assert guide.outer_diameter.value == pytest.approx(2.0)


def test_six_french_guide_extension_lumen_is_about_1_42_mm() -> None:
    gec = dv.get_device("6F guide extension")
    assert isinstance(gec, GuideExtension)
    assert gec.inner_diameter.value == pytest.approx(1.42)
    assert gec.inner_diameter.estimated


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("launcher 6 fr", "Launcher 6F"),
        ("LAUNCHER 6F", "Launcher 6F"),
        ("Orsiro 3x18", "Orsiro 3.0x18"),
        ("Emerge 1.50 x 12", "Emerge 1.5x12"),
        ("Emerge 1.5 shaft", "Emerge 1.5 shaft"),
    ],
)
def test_names_are_normalised(text: str, expected: str) -> None:
    assert dv.get_device(text).name == expected


def test_generic_guide_keeps_the_declared_lumen() -> None:
    guide = dv.get_device("6F guide 0.070 in")
    assert isinstance(guide, Guide)
    assert guide.inner_diameter.value == pytest.approx(1.778)
    assert guide.inner_diameter.confidence == "declared"


def test_generic_guide_without_lumen_takes_the_smallest_catalogued() -> None:
    guide = dv.get_device("6F guide")
    assert isinstance(guide, Guide)
    assert guide.inner_diameter.value == pytest.approx(0.066 * 25.4)
    assert guide.inner_diameter.highest == pytest.approx(0.071 * 25.4)
    assert guide.estimated


def test_unknown_name_suggests_close_names() -> None:
    with pytest.raises(UnknownNameError) as info:
        dv.get_device("Lancher 6F")
    assert "Launcher 6F" in info.value.suggestions


@pytest.mark.parametrize(
    "text",
    ["balloon 0x12 SC", "balloon 1.5x12", "6.5F guide", "wire", "snare 4 mm", "stent 0x18"],
)
def test_impossible_or_incomplete_generic_descriptions_name_the_field(text: str) -> None:
    with pytest.raises(InputError) as info:
        dv.get_device(text)
    assert info.value.problems


def test_unknown_kind_is_refused() -> None:
    with pytest.raises(UnknownNameError):
        dv.list_devices("catheter")
