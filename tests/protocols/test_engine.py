"""The engine through its public API: steps, answers, undo, resume, and random walks."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stentguide.errors import InputError, SessionError
from stentguide.protocols import OutcomeNode, Session, get_protocol, load_protocols, start
from stentguide.protocols.record import AcknowledgedEvent
from stentguide.protocols.script import apply_answers
from tests.conftest import FakeClock

PARTIAL_HAPPY = [
    {"node": "check-act", "answer": "adequate"},
    {"node": "mechanism", "answer": "stripped-crossing"},
    {"node": "balloon-position", "answer": "balloon-partly-inside", "acknowledge": "all"},
    {"node": "inflate-stent-balloon", "answer": "did-not-enter", "acknowledge": "all"},
    {"node": "small-balloon", "answer": "entered-guide", "acknowledge": ["anticoagulation"]},
]


def test_walk_partial_stent_loss_to_retrieval(clock: FakeClock) -> None:
    session = apply_answers(start("partial-stent-loss", clock=clock), PARTIAL_HAPPY)
    assert session.finished
    assert session.outcome is not None and session.outcome.id == "retrieved-into-guide"
    assert session.path == [
        "check-act",
        "mechanism",
        "balloon-position",
        "inflate-stent-balloon",
        "small-balloon",
        "retrieved-into-guide",
    ]
    assert session.facts["wire_in_place"] is True
    types = [e.type for e in session.events]
    assert types[0] == "started" and types[-1] == "ended"
    assert all(e.at.tzinfo is not None and e.at.utcoffset() == timedelta(0) for e in session.events)
    assert {e.protocol_version for e in session.events} == {"2.1.0"}
    acks = [
        (e.node, e.data.key_messages) for e in session.events if isinstance(e, AcknowledgedEvent)
    ]
    assert acks[-1] == ("small-balloon", ["anticoagulation"])
    assert len(acks[0][1]) == 3


def test_step_shows_key_messages_and_acknowledgement(clock: FakeClock) -> None:
    session = apply_answers(start("partial-stent-loss", clock=clock), PARTIAL_HAPPY[:3])
    step = session.step()
    assert step.node.id == "inflate-stent-balloon"
    assert [k for k, _t, acked in step.key_messages if not acked] == [
        "anticoagulation",
        "keep-wire",
        "watch-markers",
        "align-guide",
        "never-force",
    ]
    after = session.acknowledge("inflate-stent-balloon", ["keep-wire"])
    assert [k for k, _t, acked in after.step().key_messages if acked] == ["keep-wire"]
    assert all(p.status == "met" for p in step.preconditions)


def test_precondition_unmet_is_shown(clock: FakeClock) -> None:
    session = start("stent-loss-wire-in-place", clock=clock)
    session = apply_answers(
        session,
        [
            {"node": "check-act", "answer": "adequate"},
            {"node": "confirm-wire", "answer": "coronary-wire-through"},
            {"node": "left-main", "answer": "left-main-involved"},
            {"node": "small-balloon", "answer": "failed"},
            {"node": "snare", "answer": "failed"},
            {"node": "other-tools", "answer": "failed"},
            {"node": "deploy-or-crush", "answer": "crush"},
        ],
    )
    step = session.step()
    assert step.node.id == "crush"
    assert [(p.fact, p.status) for p in step.preconditions] == [("left_main_involved", "unmet")]
    entered = [e for e in session.events if e.type == "entered"][-1]
    assert entered.data.preconditions[0]["status"] == "unmet"


def test_wrong_answer_and_wrong_node_are_refused(clock: FakeClock) -> None:
    session = start("partial-stent-loss", clock=clock)
    with pytest.raises(SessionError, match="no answer 'maybe'; expected one of: adequate"):
        session.record("check-act", "maybe")
    with pytest.raises(SessionError, match="current step is 'check-act', not 'en-bloc'"):
        session.record("en-bloc", "removed")
    with pytest.raises(SessionError, match="does not show key message"):
        session.acknowledge("check-act", ["watch-markers"])
    with pytest.raises(SessionError, match="nothing to undo"):
        session.undo()


def test_record_after_outcome_is_refused(clock: FakeClock) -> None:
    session = apply_answers(start("partial-stent-loss", clock=clock), PARTIAL_HAPPY)
    with pytest.raises(SessionError, match="has ended"):
        session.record("retrieved-into-guide", "x")


def test_undo_appends_and_reopens_the_step(clock: FakeClock) -> None:
    done = apply_answers(start("partial-stent-loss", clock=clock), PARTIAL_HAPPY)
    before = [e.model_dump() for e in done.events]
    undone = done.undo("clicked the wrong answer")
    assert [e.model_dump() for e in undone.events[: len(before)]] == before
    assert undone.events[len(before)].type == "undone"
    assert undone.current.id == "small-balloon" and not undone.finished
    redone = undone.record("small-balloon", "did-not-enter")
    assert redone.current.id == "en-bloc"
    assert redone.path[-2:] == ["small-balloon", "en-bloc"]


def test_undo_restores_facts(clock: FakeClock) -> None:
    session = apply_answers(
        start("partial-stent-loss", clock=clock),
        [
            {"node": "check-act", "answer": "corrected"},
            {"node": "mechanism", "answer": "unknown"},
            {"node": "balloon-position", "answer": "wire-lost"},
        ],
    )
    assert session.facts["wire_in_place"] is False
    assert "wire_in_place" not in session.undo().facts


def test_numeric_question_picks_the_branch(clock: FakeClock) -> None:
    script = [
        {"node": "cause", "answer": "cto-calcified"},
        {"node": "stent-intact", "answer": "intact"},
        {"node": "prepare-lesion", "answer": "not-crossed"},
        {"node": "support-wire", "answer": "not-crossed"},
        {"node": "guide-support", "answer": "not-crossed"},
        {"node": "anchor", "answer": "not-crossed"},
        {"node": "guide-extension", "answer": "not-crossed"},
        {"node": "shorter-stent", "answer": "not-crossed"},
        {"node": "distal-balloon", "answer": "not-crossed"},
    ]
    session = apply_answers(start("stent-undeliverable", clock=clock), script)
    # no threshold is a stop rule: every band goes on to plaque modification
    at_five = session.record("radiation-check", 5)
    assert at_five.current.id == "plaque-modification" and at_five.facts["skin_follow_up"]
    below = session.record("radiation-check", 4.99)
    assert below.current.id == "plaque-modification" and "skin_follow_up" not in below.facts
    with pytest.raises(SessionError, match="outside the plausible range"):
        session.record("radiation-check", -1)
    with pytest.raises(SessionError, match="expects a number in Gy"):
        session.record("radiation-check", "lots")
    final = apply_answers(
        session,
        [
            {"node": "radiation-check", "answer": 6},
            {"node": "plaque-modification", "answer": "not-crossed"},
            {"node": "stop", "answer": "cto-team"},
        ],
    )
    assert final.outcome is not None and final.outcome.category.value == "staged-reattempt"
    answered = [e for e in final.events if e.type == "answered" and e.node == "radiation-check"]
    assert answered[0].data.model_dump() == {
        "answer": "5-to-15-gy",
        "label": "5 to 15 Gy - record the dose; the skin is followed up",
        "value": 6.0,
        "unit": "Gy",
    }


def test_bad_case_input_names_each_field() -> None:
    with pytest.raises(InputError) as err:
        start("partial-stent-loss", {"facts": {"colour": "blue", "wire_in_place": "yes"}})
    assert set(err.value.problems) == {"facts.colour", "facts.wire_in_place"}


def test_serialise_and_resume_exactly(clock: FakeClock) -> None:
    session = apply_answers(start("partial-stent-loss", clock=clock), PARTIAL_HAPPY[:3])
    data = json.loads(json.dumps(session.to_dict()))
    resumed = Session.from_dict(data, clock=clock)
    assert resumed.to_dict() == session.to_dict()
    assert resumed.current.id == session.current.id == "inflate-stent-balloon"
    resumed = resumed.record("inflate-stent-balloon", "did-not-enter")
    finished = resumed.record("small-balloon", "entered-guide")
    assert finished.outcome is not None


def test_resume_refuses_tampered_or_foreign_records(clock: FakeClock) -> None:
    data = apply_answers(start("partial-stent-loss", clock=clock), PARTIAL_HAPPY).to_dict()
    with pytest.raises(SessionError, match="not a stentguide session"):
        Session.from_dict({"format": "other"})
    wrong_version = {**data, "protocol_version": "0.9.0"}
    with pytest.raises(SessionError, match="recorded with partial-stent-loss 0.9.0"):
        Session.from_dict(wrong_version)
    gap = {**data, "events": data["events"][:2] + data["events"][3:]}
    with pytest.raises(SessionError, match="seq must run 0, 1, 2"):
        Session.from_dict(gap)
    moved = json.loads(json.dumps(data))
    answered = next(e for e in moved["events"] if e["type"] == "answered")
    answered["node"] = "en-bloc"
    with pytest.raises(SessionError, match="is at 'en-bloc', not the step reached"):
        Session.from_dict(moved)


# ---------------------------------------------------------------- property tests
PROTOCOL_IDS = sorted(load_protocols())


def _random_answer(session: Session, draw_index: int) -> str | float:
    node = session.current
    assert not isinstance(node, OutcomeNode)
    if node.number is not None:
        q = node.number
        return q.minimum + (q.maximum - q.minimum) * (draw_index % 101) / 100
    return session.options()[draw_index % len(session.options())][0]


@settings(max_examples=150, deadline=None)
@given(
    protocol_id=st.sampled_from(PROTOCOL_IDS),
    choices=st.lists(st.integers(min_value=0, max_value=10_000), min_size=60, max_size=60),
    undo_mask=st.lists(st.booleans(), min_size=60, max_size=60),
)
def test_every_random_walk_ends_in_an_outcome(
    protocol_id: str, choices: list[int], undo_mask: list[bool]
) -> None:
    protocol = get_protocol(protocol_id)
    session = start(protocol, clock=FakeClock())
    for steps, (choice, undo) in enumerate(zip(choices, undo_mask, strict=True)):
        if session.finished:
            break
        before = [e.model_dump() for e in session.events]
        if undo and session.answers and steps % 3 == 0:
            session = session.undo()
        else:
            session = session.record(
                session.current.id, _random_answer(session, choice), acknowledge="all"
            )
        # history is never rewritten: the old events are a prefix of the new ones
        assert [e.model_dump() for e in session.events[: len(before)]] == before
    while not session.finished:
        session = session.record(session.current.id, _random_answer(session, 0))
    assert isinstance(session.current, OutcomeNode)
    assert session.events[-1].type == "ended"
    # the serialised session resumes exactly
    resumed = Session.from_dict(json.loads(json.dumps(session.to_dict())))
    assert resumed.to_dict() == session.to_dict()
    assert resumed.path == session.path


def test_handover_carries_devices_and_the_facts_the_next_pathway_knows(clock: FakeClock) -> None:
    case = {"devices": {"guide": "Launcher 6F"}, "facts": {}}
    session = apply_answers(
        start("stent-loss-wire-in-place", case, clock=clock),
        [
            {"node": "check-act", "answer": "adequate"},
            {"node": "confirm-wire", "answer": "coronary-wire-through"},
            {"node": "left-main", "answer": "left-main-involved"},
            {"node": "small-balloon", "answer": "stuck-at-guide-tip"},
            {"node": "en-bloc", "answer": "stent-lost"},
        ],
    )
    outcome = session.outcome
    assert outcome is not None and outcome.continue_with == "stent-loss-no-wire"
    following = get_protocol(outcome.continue_with)
    handed = session.handover(following)
    # left_main_involved was set by an answer and is known to the next pathway;
    # wire_in_place is not one of its facts, so it is not carried
    assert handed.facts == {"left_main_involved": True}
    assert handed.devices == {"guide": "Launcher 6F"}
    nxt = start(following, handed, clock=clock)
    assert nxt.facts["left_main_involved"] is True
