"""The command line in a real terminal: progress bars drawn, the same results as in a pipe."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from tests.cli.terminal import run_in_terminal
from tests.conftest import CliRun

ROWS = 1_000_000


def _dapt_registry(path: Path, rows: int) -> None:
    """``rows`` DAPT cases, a few of them with a bad age (text) to go to the rejects."""
    rng = np.random.default_rng(16)
    ages = np.round(rng.uniform(18, 95, rows), 0).astype(str).astype(object)
    ages[rng.choice(rows, 25, replace=False)] = "old"
    frame = pl.DataFrame(
        {
            "age_years": ages.astype(str),
            "cigarette_smoking": rng.random(rows) < 0.3,
            "diabetes": rng.random(rows) < 0.3,
            "mi_at_presentation": rng.random(rows) < 0.4,
            "prior_pci_or_mi": rng.random(rows) < 0.3,
            "paclitaxel_eluting_stent": rng.random(rows) < 0.1,
            "stent_diameter_mm": np.round(rng.uniform(2.0, 4.5, rows), 2),
            "chf_or_lvef_below_30": rng.random(rows) < 0.05,
            "vein_graft_pci": rng.random(rows) < 0.03,
        }
    )
    frame.write_csv(path)


@pytest.mark.slow
def test_batch_scoring_in_a_terminal_matches_a_pipe(cli: CliRun, tmp_path: Path) -> None:
    source = tmp_path / "registry.csv"
    _dapt_registry(source, ROWS)
    piped = [tmp_path / "pipe.parquet", tmp_path / "pipe-rejects.csv"]
    shown = [tmp_path / "tty.parquet", tmp_path / "tty-rejects.csv"]

    through_pipe = cli(
        "score", "dapt", "--input", str(source), "--output", str(piped[0]),
        "--rejects", str(piped[1]), "--format", "json",
    )  # fmt: skip
    assert through_pipe.returncode == 0, through_pipe.stderr
    assert through_pipe.stderr == ""  # no progress drawn into a pipe
    summary = json.loads(through_pipe.stdout)
    assert (summary["rows"], summary["scored"], summary["problems"]) == (ROWS, ROWS - 25, 25)

    on_screen = run_in_terminal(
        "score", "dapt", "--input", str(source), "--output", str(shown[0]),
        "--rejects", str(shown[1]), tmp_path=tmp_path,
    )  # fmt: skip
    assert on_screen.returncode == 0, on_screen.screen
    assert "Traceback" not in on_screen.screen
    assert "scoring dapt" in on_screen.screen  # the progress bar was drawn
    assert "rows" in on_screen.screen
    assert f"{ROWS - 25:,} of {ROWS:,} rows scored with dapt" in on_screen.screen
    assert pl.read_parquet(shown[0]).equals(pl.read_parquet(piped[0]))
    assert shown[1].read_text() == piped[1].read_text()


def test_small_batch_in_a_terminal_writes_its_files(tmp_path: Path) -> None:
    source = tmp_path / "five.csv"
    _dapt_registry(source, 30)
    out, rejects = tmp_path / "out.csv", tmp_path / "rejects.csv"
    shown = run_in_terminal(
        "score", "dapt", "--input", str(source), "--output", str(out),
        "--rejects", str(rejects), tmp_path=tmp_path,
    )  # fmt: skip
    assert shown.returncode == 0, shown.screen
    assert "Traceback" not in shown.screen
    assert out.is_file() and rejects.is_file()
    assert pl.read_csv(out).height + pl.read_csv(rejects).height == 30


@pytest.mark.slow
def test_registry_commands_show_progress_on_a_terminal_only(cli: CliRun, tmp_path: Path) -> None:
    count = "40000"
    shown = run_in_terminal("cases", "demo", "--count", count, tmp_path=tmp_path)
    assert shown.returncode == 0, shown.screen
    assert "making synthetic cases" in shown.screen and "saving" in shown.screen
    assert f"added {count} synthetic case(s)" in shown.screen
    exported = tmp_path / "cases.csv"
    shown = run_in_terminal("cases", "export", str(exported), tmp_path=tmp_path)
    assert shown.returncode == 0, shown.screen
    assert "exporting" in shown.screen and f"exported {count} case(s)" in shown.screen
    copy = f"sqlite:///{tmp_path / 'copy.sqlite'}"
    assert cli("db", "upgrade", "--db", copy).returncode == 0
    shown = run_in_terminal("cases", "import", str(exported), "--db", copy, tmp_path=tmp_path)
    assert shown.returncode == 0, shown.screen
    assert "importing" in shown.screen and f"imported {count} case(s)" in shown.screen
    assert "Traceback" not in shown.screen

    piped = cli("cases", "export", str(tmp_path / "again.csv"))
    assert piped.returncode == 0 and piped.stderr == ""
    assert (tmp_path / "again.csv").read_bytes() == exported.read_bytes()


NOT_A_DATABASE = b"case_id,age\n1,64\n"


@pytest.mark.parametrize(
    "command",
    [
        ("cases", "stats"),
        ("cases", "list"),
        ("cases", "export", "out.csv"),
        ("cases", "demo", "--count", "1"),
        ("users", "list"),
        ("db", "status"),
        ("db", "upgrade"),
    ],
    ids=" ".join,
)
def test_a_file_that_is_not_a_database_is_refused_in_one_line(
    command: tuple[str, ...], tmp_path: Path
) -> None:
    """A registry command pointed at some other file says so and leaves the file as it was."""
    wrong = tmp_path / "cases.sqlite"
    wrong.write_bytes(NOT_A_DATABASE)
    shown = run_in_terminal(
        *command, "--db", f"sqlite:///{wrong}", tmp_path=tmp_path, cwd=tmp_path
    )
    assert shown.returncode == 1, shown.screen
    assert "Traceback" not in shown.screen
    assert "cannot open the registry database: file is not a database" in shown.screen
    assert wrong.read_bytes() == NOT_A_DATABASE
    assert not (tmp_path / "out.csv").exists()
