"""The protocols and run commands through the real ``stentguide`` entry point."""

from __future__ import annotations

import json
from pathlib import Path

from stentguide.cases import Registry
from tests.conftest import CliRun

PARTIAL_EN_BLOC = [
    {"node": "check-act", "answer": "adequate", "acknowledge": "all"},
    {"node": "mechanism", "answer": "caught-on-guide"},
    {"node": "balloon-position", "answer": "balloon-partly-inside", "acknowledge": "all"},
    {"node": "inflate-stent-balloon", "answer": "did-not-enter", "acknowledge": "all"},
    {"node": "small-balloon", "answer": "did-not-enter", "acknowledge": "all"},
    {"node": "en-bloc", "answer": "removed", "acknowledge": "all"},
]


def write(path: Path, data: object) -> Path:
    path.write_text(json.dumps(data))
    return path


def test_protocols_list_json(cli: CliRun) -> None:
    result = cli("protocols", "list", "--format", "json")
    assert result.returncode == 0, result.stderr
    ids = {p["id"] for p in json.loads(result.stdout)}
    assert ids == {
        "partial-stent-loss",
        "stent-loss-wire-in-place",
        "stent-loss-no-wire",
        "stent-undeliverable",
        "coronary-perforation",
        "equipment-entrapment",
    }


def test_protocols_show_formats(cli: CliRun) -> None:
    tree = cli("protocols", "show", "partial-stent-loss")
    assert tree.returncode == 0
    assert (
        "ACTION inflate-stent-balloon" in tree.stdout and "inflation pressure: 3 atm" in tree.stdout
    )
    mermaid = cli("protocols", "show", "stent-undeliverable", "--format", "mermaid")
    assert mermaid.stdout.startswith("flowchart TD")
    assert "radiation_check -->" in mermaid.stdout
    as_json = json.loads(cli("protocols", "show", "stent-loss-no-wire", "--format", "json").stdout)
    assert as_json["start"] == "check-act"


def test_protocols_validate_library_and_user_file(cli: CliRun, tmp_path: Path) -> None:
    ok = cli("protocols", "validate")
    assert ok.returncode == 0 and "valid partial-stent-loss 2.1.0" in ok.stdout
    bad = tmp_path / "mine.yaml"
    bad.write_text("id: mine\nversion: 1.0.0\n")
    result = cli("protocols", "validate", str(bad))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: mine.yaml: ")
    assert "title" in lines[0] and "nodes" in lines[0]


def test_run_non_interactive_json(cli: CliRun, tmp_path: Path) -> None:
    answers = write(tmp_path / "answers.json", {"answers": PARTIAL_EN_BLOC})
    result = cli(
        "run",
        "partial-stent-loss",
        "--answers",
        str(answers),
        "--device",
        "retrieval_balloon=balloon 1.5x12 SC",
        "--format",
        "json",
    )
    assert result.returncode == 0, result.stderr
    record = json.loads(result.stdout)
    assert record["summary"]["outcome"] == "removed-en-bloc"
    assert record["summary"]["outcome_category"] == "removed-en-bloc"
    assert record["summary"]["path"][-2:] == ["en-bloc", "removed-en-bloc"]
    events = record["session"]["events"]
    checks = {c["role"]: c for e in events for c in e["data"].get("device_checks", []) if e["node"]}
    assert checks["stent"]["status"] == "unknown"  # no stent declared: the check says so
    assert checks["retrieval_balloon"]["figures"]


def test_run_text_record_and_save_resume(cli: CliRun, tmp_path: Path) -> None:
    answers = write(tmp_path / "a.json", PARTIAL_EN_BLOC[:4])
    saved = tmp_path / "session.json"
    first = cli("run", "partial-stent-loss", "--answers", str(answers), "--save", str(saved))
    assert first.returncode == 0
    assert "In progress at: Pass a new small balloon" in first.stdout
    assert "not a substitute for clinical judgement" in first.stdout
    rest = write(tmp_path / "b.json", PARTIAL_EN_BLOC[4:])
    second = cli("run", "--resume", str(saved), "--answers", str(rest), "--format", "json")
    assert second.returncode == 0, second.stderr
    assert json.loads(second.stdout)["summary"]["outcome"] == "removed-en-bloc"


def test_run_errors_exit_2_with_one_line(cli: CliRun, tmp_path: Path) -> None:
    unknown = cli("run", "partial-stent-los", "--answers", str(write(tmp_path / "x.json", [])))
    assert unknown.returncode == 2
    assert unknown.stderr.strip().startswith(
        "error: unknown protocol 'partial-stent-los'; did you mean partial-stent-loss"
    )
    assert len(unknown.stderr.strip().splitlines()) == 1
    wrong = write(tmp_path / "w.json", [{"node": "check-act", "answer": "sideways"}])
    bad_answer = cli("run", "partial-stent-loss", "--answers", str(wrong))
    assert bad_answer.returncode == 2
    assert "answers entry 1: node 'check-act' has no answer 'sideways'" in bad_answer.stderr
    assert bad_answer.stdout == ""
    malformed = tmp_path / "m.json"
    malformed.write_text("{not json")
    bad_file = cli("run", "partial-stent-loss", "--answers", str(malformed))
    assert bad_file.returncode == 2 and "is not valid JSON" in bad_file.stderr
    bad_device = cli(
        "run",
        "partial-stent-loss",
        "--answers",
        str(write(tmp_path / "e.json", [])),
        "--device",
        "guide=unicorn catheter",
    )
    assert bad_device.returncode == 2 and "devices.guide" in bad_device.stderr


def test_run_output_file_is_not_half_written(cli: CliRun, tmp_path: Path) -> None:
    out = tmp_path / "record.json"
    wrong = write(tmp_path / "w.json", [{"node": "nope", "answer": "x"}])
    result = cli("run", "partial-stent-loss", "--answers", str(wrong), "--output", str(out))
    assert result.returncode == 2
    assert not out.exists()


def test_interactive_run_with_menu_undo_and_outcome(cli: CliRun) -> None:
    # menu: 3 = partial-stent-loss (alphabetical file order, after the perforation and
    # entrapment pathways)
    # ACT checked (the first action, shown at once) with its key messages acknowledged after
    # an answer that is not y/n; balloon partly inside, did not enter, undo, entered; the
    # mechanism for the record at the end
    keys = "\n".join(["3", "1", "x", "y", "1", "2", "y", "u", "1", "4"]) + "\n"
    result = cli("run", input=keys)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "choose the situation" in out
    assert "Always ensure adequate anticoagulation" in out
    assert "Type y or n." in out
    assert "undo      answer 'did-not-enter'" in out
    assert "For the record: Which mechanism best describes what happened?" in out
    assert "Not clear" in out.split("Record of")[-1]
    assert "Outcome: Stent retrieved into the guiding catheter (retrieved)" in out


def test_interactive_run_stops_cleanly_at_end_of_input(cli: CliRun) -> None:
    result = cli("run", "stent-loss-no-wire", input="1\ny\n1\n")
    assert result.returncode == 0
    assert "Stopped before an outcome" in result.stdout
    assert "In progress at: Snare or grasp the stent in the coronary artery" in result.stdout


def test_runs_are_kept_in_the_registry(cli: CliRun, tmp_path: Path) -> None:
    answers = write(tmp_path / "a.json", PARTIAL_EN_BLOC)
    result = cli("run", "partial-stent-loss", "--answers", str(answers), "--format", "json")
    assert result.returncode == 0, result.stderr
    assert "run kept in the registry" in result.stderr
    session_id = json.loads(result.stdout)["session"]["session_id"]
    stored = Registry.open(f"sqlite:///{tmp_path / 'registry.sqlite'}")
    try:
        runs = stored.runs.find(protocol_id="partial-stent-loss")
        assert [r.run_id for r in runs] == [session_id]
        assert stored.runs.load(session_id).to_json() == json.loads(result.stdout)["session"]
    finally:
        stored.close()


def test_interactive_run_is_kept_step_by_step(cli: CliRun, tmp_path: Path) -> None:
    result = cli("run", "stent-loss-no-wire", input="1\ny\n1\n2\ny\n")
    assert result.returncode == 0, result.stderr
    stored = Registry.open(f"sqlite:///{tmp_path / 'registry.sqlite'}")
    try:
        (run,) = stored.runs.find()
        events = stored.runs.load(run.run_id).to_json()["events"]
        assert [e["type"] for e in events].count("answered") == 3
    finally:
        stored.close()


def test_no_store_keeps_nothing(cli: CliRun, tmp_path: Path) -> None:
    answers = write(tmp_path / "a.json", PARTIAL_EN_BLOC)
    result = cli("run", "partial-stent-loss", "--answers", str(answers), "--no-store")
    assert result.returncode == 0
    assert not (tmp_path / "registry.sqlite").exists()


def test_interactive_run_continues_into_the_next_pathway(cli: CliRun, tmp_path: Path) -> None:
    # partial-stent-loss: mechanism unknown, key messages read, the wire is lost -> no-wire pathway
    keys = "\n".join(["3", "1", "y", "3", "", "y", "1", "y", "1"]) + "\n"
    result = cli("run", input=keys)
    assert result.returncode == 0, result.stderr
    assert "Continue with 'Stent lost without the guidewire" in result.stdout
    assert "Outcome: Stent lost without the wire (changed-pathway)" in result.stdout
    assert "In progress at: Snare or grasp the stent in the coronary artery" in result.stdout
    stored = Registry.open(f"sqlite:///{tmp_path / 'registry.sqlite'}")
    try:
        runs = {r.protocol_id: r for r in stored.runs.find()}
        assert set(runs) == {"partial-stent-loss", "stent-loss-no-wire"}
        assert runs["partial-stent-loss"].outcome_category == "changed-pathway"
    finally:
        stored.close()
