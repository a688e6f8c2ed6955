"""The ``stentguide score`` command, end to end through the real entry point."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
from typer.testing import CliRunner

from stentguide import cli
from tests.conftest import CliRun
from tests.risk.cases import baseline


def test_list_shows_available_and_withheld(cli: CliRun) -> None:
    out = cli("score", "list", "--format", "json")
    assert out.returncode == 0, out.stderr
    listed = {i["name"]: i for i in json.loads(out.stdout)}
    assert listed["j-cto"]["available"] is True
    assert listed["recharge"]["available"] is False and listed["recharge"]["reason"]


def test_schema(cli: CliRun) -> None:
    out = cli("score", "mehran", "--schema", "--param", "renal_item=creatinine")
    assert out.returncode == 0, out.stderr
    schema = json.loads(out.stdout)
    assert "serum_creatinine_mg_dl" in schema["required"]
    assert "egfr_ml_min_1_73m2" not in schema["properties"]


def test_one_case_as_json(cli: CliRun) -> None:
    case = baseline("progress-cto-complications", age_years=70, lesion_length_mm=25)
    out = cli("score", "progress-cto-complications", "--json", json.dumps(case))
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert (result["points"], result["category"]) == (5, "high")
    assert "6.5%" in result["outcome_text"]
    assert result["sources"][0] == "danek2016_progress_cto_complications"


def test_bad_input_is_one_line_and_exit_2(cli: CliRun) -> None:
    out = cli("score", "j-cto", "--json", '{"blunt_stump": "yes"}')
    assert out.returncode == 2
    assert out.stderr.count("\n") == 1
    assert "blunt_stump: expected true or false" in out.stderr
    assert "occlusion_length_mm: missing" in out.stderr
    assert cli("score", "j-cto", "--json", "{not json").returncode == 2
    assert cli("score", "nope", "--schema").returncode == 2


def test_file_scoring_with_rejects(cli: CliRun, tmp_path: Path) -> None:
    rows = [baseline("dapt", age_years=a) for a in (50, 70, 80)]
    rows.append({**baseline("dapt"), "age_years": "old"})
    source = tmp_path / "in.csv"
    pl.DataFrame(rows, schema_overrides={"age_years": pl.String}).write_csv(source)
    out_path, rejects = tmp_path / "out.parquet", tmp_path / "bad.csv"
    failed = cli("score", "dapt", "--input", str(source), "--output", str(out_path))
    assert failed.returncode == 2 and "row 4 age_years" in failed.stderr
    done = cli(
        "score",
        "dapt",
        "--input",
        str(source),
        "--output",
        str(out_path),
        "--rejects",
        str(rejects),
        "--format",
        "json",
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["scored"] == 3
    assert pl.read_parquet(out_path).get_column("dapt_points").to_list() == [0, -1, -2]
    assert pl.read_csv(rejects).get_column("row").to_list() == [4]


def test_text_output_in_process() -> None:
    cli._register()
    runner = CliRunner()
    case = json.dumps(baseline("j-cto", blunt_stump=True))
    result = runner.invoke(cli.app, ["score", "j-cto", "--json", case, "--format", "text"])
    assert result.exit_code == 0, result.output
    assert "intermediate" in result.output and "Morino" in result.output
    described = runner.invoke(cli.app, ["score", "precise-dapt"])
    assert described.exit_code == 0 and "RECONSTRUCTION" in described.output
    clash = runner.invoke(cli.app, ["score", "j-cto", "--schema", "--json", "{}"])
    assert clash.exit_code == 2
