"""The clinical scenario table (``scenarios.yaml``) run through the real engine.

Each scenario is a pathway walk, a training-case play or a leaflet, with what must and must
not happen. Together they are the pathways' specification: a reviewing clinician reads the
table, and a change that breaks one of them fails here.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from stentguide.errors import SessionError
from stentguide.protocols import OutcomeNode, Session, start
from stentguide.protocols.model import ActionNode
from stentguide.references import reference
from stentguide.training.loader import get_case
from stentguide.training.scoring import score_path, walk
from tests.conftest import CliRun

TABLE = yaml.safe_load((Path(__file__).parent / "scenarios.yaml").read_text(encoding="utf-8"))
SCENARIOS: list[dict[str, Any]] = TABLE["scenarios"]
ISSUE_ITEMS = set(range(1, 19))

BASE_PLAN: dict[str, Any] = {
    "access": "radial",
    "stent_type": "drug_eluting",
    "chronic_total_occlusion": False,
    "second_antiplatelet": "clopidogrel",
    "antiplatelet_months": 6,
    "procedure_date": "2026-03-02",
    "language": "en",
    "patient_first_name": "Anne-Marie",
    "centre_phone": "+33 1 23 45 67 89",
}


def _by_kind(kind: str) -> list[Any]:
    return [pytest.param(s, id=s["id"]) for s in SCENARIOS if kind in s]


def test_the_table_is_large_sourced_and_covers_every_item() -> None:
    assert len(SCENARIOS) >= 40
    ids = [s["id"] for s in SCENARIOS]
    assert len(ids) == len(set(ids))
    for s in SCENARIOS:
        assert s["source"], s["id"]
        for key in s["source"]:
            reference(key)  # raises on an unknown reference
    covered = {s["item"] for s in SCENARIOS if isinstance(s["item"], int)}
    assert covered >= ISSUE_ITEMS, sorted(ISSUE_ITEMS - covered)
    pathways = {s["pathway"] for s in SCENARIOS if "pathway" in s}
    assert pathways == {
        "partial-stent-loss",
        "stent-loss-wire-in-place",
        "stent-loss-no-wire",
        "stent-undeliverable",
    }


def _walk(s: dict[str, Any]) -> Session:
    session = start(s["pathway"], {"devices": s.get("devices", {}), "facts": s.get("facts", {})})
    for node, answer in s["answers"]:
        session = session.record(node, answer, acknowledge="all")
    return session


def _text(session: Session, at: str | None = None) -> str:
    node = session.protocol.node(at) if at else session.current
    parts = [node.title, node.detail or ""]
    if isinstance(node, OutcomeNode):
        parts.append(node.summary)
    else:
        parts.append(node.question)
    if isinstance(node, ActionNode):
        parts += [node.instruction, *node.avoid]
    return re.sub(r"\s+", " ", " ".join(parts)).lower()


def _check_step(session: Session, expect: dict[str, Any]) -> None:
    node = session.current
    step = session.step()
    shown = [key for key, _text, _acked in step.key_messages]
    if "current" in expect:
        assert node.id == expect["current"]
    if "for_record" in expect:  # passed by, asked after the action or at the end
        assert [q.id for q in session.pending_record] == expect["for_record"]
    if "first_action" in expect:
        visited = [*session.path, node.id] if session.path[-1:] != [node.id] else session.path
        actions = [n for n in visited if isinstance(session.protocol.node(n), ActionNode)]
        assert actions and actions[0] == expect["first_action"]
    for key in expect.get("key_messages", []):
        assert key in shown, f"{key} not shown at {node.id} (shows {shown})"
    assert not set(expect.get("no_key_messages", [])) & set(shown)
    flags = {c.role: c.status for c in step.device_checks}
    for role, status in expect.get("device_flags", {}).items():
        assert flags.get(role) == status, f"{role}: {flags.get(role)} ({step.device_checks})"
    statuses = {p.fact: p.status for p in step.preconditions}
    wanted = expect.get("preconditions", {})
    assert {f: statuses.get(f) for f in wanted} == wanted
    for fact, value in expect.get("facts", {}).items():
        assert session.facts.get(fact) == value
    offered = [answer for answer, _label in session.options()]
    assert set(expect.get("options", [])) <= set(offered)
    assert not set(expect.get("no_options", [])) & set(offered)
    if "refuse" in expect:
        with pytest.raises(SessionError, match="does not fit what the run already knows"):
            session.record(*expect["refuse"])


def _check_outcome(session: Session, expect: dict[str, Any]) -> None:
    outcome = session.outcome
    if "outcome" in expect:
        assert outcome is not None and outcome.id == expect["outcome"]
    if "category" in expect:
        assert outcome is not None and outcome.category.value == expect["category"]
    if outcome is not None:
        assert set(expect.get("outcome_sources", [])) <= set(outcome.sources)
        assert not set(expect.get("no_outcome_sources", [])) & set(outcome.sources)


def _check_words(session: Session, expect: dict[str, Any]) -> None:
    node = session.protocol.node(expect["at"]) if "at" in expect else session.current
    text = _text(session, expect.get("at"))
    for phrase in expect.get("text", []):
        assert phrase.lower() in text, f"{phrase!r} not in {node.id}"
    for phrase in expect.get("no_text", []):
        assert phrase.lower() not in text
    if isinstance(node, ActionNode):
        notes = " ".join((p.note or "").lower() for p in node.parameters)
        for phrase in expect.get("parameter_notes", []):
            assert phrase in notes
        values = {p.name: str(p.value) for p in node.parameters}
        for name, value in expect.get("parameters", {}).items():
            assert values.get(name) == value
    for key, excluded in expect.get("key_message_sources_exclude", {}).items():
        assert not set(excluded) & set(session.protocol.key_messages[key].sources)


@pytest.mark.parametrize("s", _by_kind("pathway"))
def test_pathway_scenario(s: dict[str, Any]) -> None:
    session = _walk(s)
    _check_step(session, s["expect"])
    _check_outcome(session, s["expect"])
    _check_words(session, s["expect"])


@pytest.mark.parametrize("s", _by_kind("case"))
def test_training_scenario(s: dict[str, Any]) -> None:
    case = get_case(s["case"])
    for where, verdict in s.get("verdicts", {}).items():
        moment_id, choice_id = where.split("/")
        moment = case.moment(moment_id)
        assert moment is not None
        choice = moment.choice(choice_id)
        assert choice is not None and choice.verdict.value == verdict
    for where, phrases in s.get("choice_text", {}).items():
        moment_id, choice_id = where.split("/")
        moment = case.moment(moment_id)
        assert moment is not None
        choice = moment.choice(choice_id)
        assert choice is not None
        said = " ".join([choice.label, choice.consequence, choice.teaching_point or ""]).lower()
        said = re.sub(r"\s+", " ", said)
        for phrase in phrases:
            assert phrase in said
    for where, step in s.get("choice_steps", {}).items():
        moment_id, choice_id = where.split("/")
        moment = case.moment(moment_id)
        assert moment is not None
        choice = moment.choice(choice_id)
        assert choice is not None and choice.step == step
    if "path" not in s:
        return
    path = [(m, c) for m, c in s["path"]]
    score = score_path(case, path)
    expect = s["expect"]
    broken = sorted(k.id for k in score.broken)
    assert broken == sorted(expect.get("broken", broken))
    kept = {k.id for k in score.key_messages if k.status == "kept"}
    assert set(expect.get("kept", [])) <= kept
    if "below" in expect:
        assert score.total < expect["below"]
    _moment, last = walk(case, path)[-1]
    if "end" in expect:
        assert last.next == expect["end"] and case.end(last.next) is not None


@pytest.mark.parametrize("s", _by_kind("render"))
def test_render_scenario(s: dict[str, Any], cli: CliRun) -> None:
    from stentguide.protocols import get_protocol, render_tree
    from stentguide.protocols.render import render_header

    protocol = get_protocol(s["render"])
    tree = render_tree(protocol)
    header = render_header(protocol)
    shown = cli("protocols", "show", s["render"]).stdout
    for phrase in s["expect"]["text"]:
        assert phrase in tree and phrase in header and phrase in shown


def test_run_shows_the_evidence_note(cli: CliRun) -> None:
    result = cli("run", "stent-loss-no-wire", input="q\n")
    assert result.returncode == 0, result.stderr
    assert "Evidence: No society guideline covers stent loss" in " ".join(result.stdout.split())


def _leaflet_text(html: str) -> tuple[str, str]:
    page_one = html.split('<section class="page-one">', 1)[1].split("</section>", 1)[0]

    def plain(part: str) -> str:
        return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", part)).replace("&#39;", "'")

    return plain(page_one), plain(html.split("<body>", 1)[1])


@pytest.mark.parametrize("s", _by_kind("leaflet"))
def test_leaflet_scenario(s: dict[str, Any]) -> None:
    from stentguide.leaflets import render_html

    plan = {**BASE_PLAN, **s["leaflet"]}
    if plan["patient_first_name"] is None:
        del plan["patient_first_name"]
    page_one, text = _leaflet_text(render_html(plan))
    expect = s["expect"]
    for phrase in expect.get("page_one", []):
        assert phrase in page_one, f"{phrase!r} not on page 1"
    for phrase in expect.get("text", []):
        assert phrase in text, f"{phrase!r} not in the leaflet"
    for phrase in expect.get("no_text", []):
        assert phrase not in text, f"{phrase!r} in the leaflet"
