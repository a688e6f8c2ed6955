"""The ``stentguide devices`` commands through the real entry point."""

from __future__ import annotations

import json

from tests.conftest import CliRun


def test_list_json(cli: CliRun) -> None:
    run = cli("devices", "list", "--kind", "guide_extension", "--format", "json")
    assert run.returncode == 0, run.stderr
    names = {d["name"] for d in json.loads(run.stdout)}
    assert {"Telescope 6F", "Guidezilla 7F"} <= names


def test_show_text_marks_estimates(cli: CliRun) -> None:
    run = cli("devices", "show", "Emerge 1.5")
    assert run.returncode == 0, run.stderr
    assert "[unverified]" in run.stdout
    assert "BSC_EMERGE" in run.stdout


def test_inflate_json(cli: CliRun) -> None:
    run = cli("devices", "inflate", "balloon 1.5x12 SC", "--pressure", "3", "--format", "json")
    assert run.returncode == 0, run.stderr
    data = json.loads(run.stdout)
    assert data["estimated"] is True
    assert 1.3 <= data["diameter_mm"] <= 1.45


def test_fit_json(cli: CliRun) -> None:
    run = cli(
        "devices", "fit", "--guide", "Launcher 6F", "--device", "stent 3.0x18",
        "--device", "balloon 1.5x12 SC", "--format", "json",
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    data = json.loads(run.stdout)
    assert data["verdict"] == "does_not_fit"
    assert data["margin_mm"] < 0


def test_unknown_name_exits_2_with_close_names(cli: CliRun) -> None:
    run = cli("devices", "show", "Lancher 6F")
    assert run.returncode == 2
    assert "Launcher 6F" in run.stderr
    assert len(run.stderr.strip().splitlines()) == 1


def test_impossible_values_exit_2(cli: CliRun) -> None:
    negative = cli("devices", "inflate", "Emerge 1.5", "--pressure=-1")
    assert negative.returncode == 2
    assert "pressure" in negative.stderr
    zero = cli("devices", "inflate", "balloon 0x12 SC", "--pressure", "3")
    assert zero.returncode == 2
    assert "0 mm" in zero.stderr


def test_past_rated_burst_is_a_refusal(cli: CliRun) -> None:
    run = cli("devices", "inflate", "Emerge 1.5", "--pressure", "20")
    assert run.returncode == 1
    assert "rated burst" in run.stderr


def test_snare_text(cli: CliRun) -> None:
    run = cli("devices", "snare", "--vessel", "3 mm", "--catheter", "Launcher 6F")
    assert run.returncode == 0, run.stderr
    assert "loop" in run.stdout
