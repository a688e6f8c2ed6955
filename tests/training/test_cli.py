"""``stentguide train`` through the real entry point."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from stentguide.training import get_case
from tests.conftest import CliRun
from tests.training.conftest import CASE_IDS, expert_choices, reckless_choices


@pytest.fixture
def db(cli: CliRun, tmp_path: Path) -> str:
    """A registry made on purpose: a --db naming a missing file is refused."""
    url = f"sqlite:///{tmp_path / 'registry.sqlite'}"
    assert cli("db", "upgrade", "--db", url).returncode == 0
    return url


def script(tmp_path: Path, choices: list[str]) -> Path:
    path = tmp_path / "choices.json"
    path.write_text(json.dumps(choices), encoding="utf-8")
    return path


@pytest.mark.parametrize("case_id", CASE_IDS)
def test_every_case_plays_through_the_cli(
    cli: CliRun, tmp_path: Path, db: str, case_id: str
) -> None:
    case = get_case(case_id)
    perfect = cli(
        "train",
        case_id,
        "--choices",
        str(script(tmp_path, expert_choices(case))),
        "--trainee",
        "fellow-1",
        "--db",
        db,
        "--format",
        "json",
    )
    assert perfect.returncode == 0, perfect.stderr
    result = json.loads(perfect.stdout)
    assert result["score"]["total"] == 100 and result["attempt_id"]
    reckless = cli(
        "train",
        case_id,
        "--choices",
        str(script(tmp_path, reckless_choices(case))),
        "--format",
        "json",
    )
    assert reckless.returncode == 0, reckless.stderr
    low = json.loads(reckless.stdout)
    assert low["score"]["total"] < 40 and low["attempt_id"] is None
    broken = [k["id"] for k in low["score"]["key_messages"] if k["status"] == "broken"]
    assert broken


def test_text_debrief_names_the_broken_key_messages(cli: CliRun, tmp_path: Path) -> None:
    path = script(
        tmp_path, ["hold-wire-confirm", "inflate-own-balloon", "force-through-misaligned-guide"]
    )
    out = cli("train", "partial-loss-calcified-circumflex", "--choices", str(path))
    assert out.returncode == 0, out.stderr
    assert "Broken key messages: align-guide, never-force" in out.stdout
    assert "Score 56.4 / 100" in out.stdout
    assert "Expert path" in out.stdout and "To read" in out.stdout
    assert "teaching estimate" in out.stdout
    assert "Attempt not saved" in out.stdout


def test_interactive_play_and_progress(cli: CliRun, db: str) -> None:
    played = cli(
        "train",
        "stent-embolised-aorta-radial",
        "--trainee",
        "fellow-9",
        "--db",
        db,
        input="1\n9\n1\n1\n",
    )
    assert played.returncode == 0, played.stderr
    assert "Devices in use" in played.stdout and "What happens" in played.stdout
    assert "Type a number from 1 to 2" in played.stdout
    assert "Score 100 / 100" in played.stdout and "Attempt saved" in played.stdout
    listing = cli("train", "--trainee", "fellow-9", "--db", db, "--format", "json")
    assert listing.returncode == 0, listing.stderr
    rows = {r["id"]: r for r in json.loads(listing.stdout)}
    assert rows["stent-embolised-aorta-radial"]["progress"]["attempts"] == 1
    assert "progress" not in rows["stent-loss-left-main"]


def test_quitting_saves_nothing(cli: CliRun, db: str) -> None:
    out = cli("train", "stent-loss-left-main", "--trainee", "t", "--db", db, input="q\n")
    assert out.returncode == 0 and "not saved" in out.stdout


def test_library_lists_every_case(cli: CliRun) -> None:
    out = cli("train", "--format", "json")
    assert out.returncode == 0, out.stderr
    assert sorted(c["id"] for c in json.loads(out.stdout)) == CASE_IDS


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nope-case"], "unknown training case"),
        (["stent-loss-left-main", "--format", "json"], "--format json needs --choices"),
        (["--choices", "x.json"], "--choices needs a CASE"),
        (["stent-loss-left-main", "--choices", "missing.json"], "cannot read the choices file"),
        (["stent-loss-left-main", "--trainee", " "], "trainee: missing"),
    ],
)
def test_bad_input_exits_2_with_one_line(cli: CliRun, args: list[str], message: str) -> None:
    out = cli("train", *args)
    assert out.returncode == 2
    assert message in out.stderr and len(out.stderr.strip().splitlines()) == 1


def test_bad_or_unfinished_scripts_exit_2(cli: CliRun, tmp_path: Path) -> None:
    bad = cli("train", "stent-loss-left-main", "--choices", str(script(tmp_path, ["nope"])))
    assert bad.returncode == 2 and "choices[0]" in bad.stderr
    short = cli(
        "train", "stent-loss-left-main", "--choices", str(script(tmp_path, ["plan-retrieval"]))
    )
    assert short.returncode == 2 and "not finished" in short.stderr
    odd = tmp_path / "odd.json"
    odd.write_text('{"answers": []}', encoding="utf-8")
    shape = cli("train", "stent-loss-left-main", "--choices", str(odd))
    assert shape.returncode == 2 and "expected a list" in shape.stderr


def test_help(cli: CliRun) -> None:
    out = cli("train", "--help")
    assert out.returncode == 0 and "--choices" in out.stdout


def test_validate_training_accepts_a_good_file_and_names_every_problem(
    cli: CliRun, tmp_path: Path
) -> None:
    from stentguide.knowledge import knowledge_path

    good = knowledge_path("training", "03-stent-loss-wire-lad.yaml")
    ok = cli("cases", "validate-training", str(good), "--format", "json")
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["id"] == "stent-loss-wire-lad"
    raw = yaml.safe_load(good.read_text(encoding="utf-8"))
    confirm = raw["moments"][0]["choices"]
    confirm[1]["next"] = "nowhere"
    del confirm[1]["teaching_point"]
    broken = tmp_path / "broken.yaml"
    broken.write_text(yaml.safe_dump(raw), encoding="utf-8")
    bad = cli("cases", "validate-training", str(broken))
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1
    assert "broken.yaml" in bad.stderr and "'nowhere'" in bad.stderr
    assert "a wrong choice needs a teaching_point" in bad.stderr
