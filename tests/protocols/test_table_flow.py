"""At the table: the first action without registry questions, known facts not asked again,
key messages in full only where new, and stop now; through the engine's public API."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from stentguide.errors import SessionError
from stentguide.protocols import (
    ActionNode,
    AssessNode,
    OutcomeCategory,
    OutcomeGroup,
    Session,
    get_protocol,
    load_protocols,
    start,
)
from stentguide.protocols.record import EnteredEvent
from tests.conftest import FakeClock


@pytest.mark.parametrize("protocol_id", sorted(load_protocols()))
def test_the_first_action_follows_branching_questions_only(protocol_id: str) -> None:
    """Every question asked before the first action changes which step comes next."""
    protocol = get_protocol(protocol_id)
    session = start(protocol)
    asked = 0
    while not isinstance(session.current, ActionNode):
        node = session.current
        assert isinstance(node, AssessNode) and not node.for_record
        assert len(set(node.next_ids())) > 1, f"{node.id} does not branch"
        session = session.record(node.id, session.options()[0][0])
        asked += 1
    assert asked <= 1, f"{protocol_id}: {asked} questions before the first action"
    assert {q.id for q in session.pending_record} <= {
        n.id for n in protocol.nodes if isinstance(n, AssessNode) and n.for_record
    }


def _after_act(session: Session) -> Session:
    return session.record("check-act", "adequate")


def test_a_question_for_the_record_is_asked_after_the_action(clock: FakeClock) -> None:
    session = _after_act(start("partial-stent-loss", clock=clock))
    assert session.current.id == "balloon-position"
    assert [q.id for q in session.pending_record] == ["mechanism"]
    session = session.record("balloon-position", "balloon-partly-inside")
    assert session.current.id == "inflate-stent-balloon"
    answered = session.record("mechanism", "stuck-in-lesion")
    assert answered.current.id == "inflate-stent-balloon"
    assert answered.facts["mechanism"] == "stuck in lesion" and not answered.pending_record
    assert answered.last_answer == (
        "How did the stent come off its balloon?",
        "Stuck in the lesion and separated from the balloon on withdrawal",
    )
    back = answered.undo()
    assert back.current.id == "inflate-stent-balloon" and "mechanism" not in back.facts
    assert [q.id for q in back.pending_record] == ["mechanism"]
    resumed = Session.from_dict(answered.to_dict())
    assert resumed.facts == answered.facts and resumed.pending_record == []


def test_at_the_end_the_questions_for_the_record_can_still_be_answered(clock: FakeClock) -> None:
    session = _after_act(start("partial-stent-loss", clock=clock))
    session = session.record("balloon-position", "balloon-partly-inside")
    session = session.record("inflate-stent-balloon", "entered-guide")
    assert session.finished and [q.id for q in session.pending_record] == ["mechanism"]
    session = session.record("mechanism", "unknown")
    assert session.finished and session.facts["mechanism"] == "unknown"
    with pytest.raises(SessionError, match="has ended"):
        session.record("retrieved-into-guide", "x")


def test_a_known_fact_is_never_asked_again(clock: FakeClock) -> None:
    known = start("partial-stent-loss", {"facts": {"mechanism": "stripped"}}, clock=clock)
    assert _after_act(known).pending_record == []
    first = _after_act(start("partial-stent-loss", clock=clock))
    first = first.record("balloon-position", "balloon-out-wire-through")
    assert first.outcome is not None and first.outcome.continue_with == "stent-loss-wire-in-place"
    protocol = get_protocol("stent-loss-wire-in-place")
    following = start(protocol, first.handover(protocol), clock=clock)
    assert following.current.id == "check-act"  # the ACT first, in every loss pathway
    following = following.record("check-act", "adequate")
    # the wire is known to be through the stent: the retrieval comes next, no question
    assert following.current.id == "small-balloon"
    assert following.inferred == [("confirm-wire", "coronary-wire-through")]
    assert [q.id for q in following.pending_record] == ["left-main"]


def test_key_messages_are_shown_in_full_only_where_new(clock: FakeClock) -> None:
    session = start("partial-stent-loss", clock=clock)
    assert session.step().new_messages == ["anticoagulation", "keep-wire"]
    session = session.record("check-act", "adequate", acknowledge="all")
    step = session.step()
    assert step.new_messages == [k for k, _, _ in step.key_messages if k not in step.known_messages]
    session = session.record("balloon-position", "balloon-partly-inside")
    step = session.step()
    assert step.known_messages == {"anticoagulation", "keep-wire"}
    assert step.new_messages == ["watch-markers", "align-guide", "never-force"]
    entered = [e for e in session.events if isinstance(e, EnteredEvent)][-1]
    assert entered.data.key_messages_new == ["watch-markers", "align-guide", "never-force"]
    assert entered.data.key_messages_known == ["anticoagulation", "keep-wire"]


def test_stop_now_ends_the_run_and_undo_resumes_it(clock: FakeClock) -> None:
    session = start("stent-undeliverable", clock=clock).record("stent-intact", "intact")
    stopped = session.stop("patient unstable")
    assert stopped.finished and stopped.stopped and stopped.outcome is None
    assert stopped.ending_category == "procedure-stopped"
    assert stopped.summary()["outcome_category"] == "procedure-stopped"
    with pytest.raises(SessionError, match="stopped"):
        stopped.record(session.current.id, session.options()[0][0])
    assert stopped.last_answer == (session.current.title, "Stop now")
    resumed = Session.from_dict(stopped.to_dict()).undo()
    assert not resumed.stopped and resumed.current.id == session.current.id
    assert Session.from_dict(resumed.to_dict()).current.id == session.current.id


def test_outcome_groups_never_make_an_emergency_or_a_change_a_success() -> None:
    assert OutcomeCategory.surgical_referral.group is OutcomeGroup.emergency
    assert OutcomeCategory.bailout.group is OutcomeGroup.emergency
    assert OutcomeCategory.changed_pathway.group is OutcomeGroup.changed_pathway
    assert {c.group for c in OutcomeCategory} == set(OutcomeGroup)


def test_every_shipped_key_message_has_a_short_form() -> None:
    for protocol in load_protocols().values():
        for key, message in protocol.key_messages.items():
            assert message.short, f"{protocol.id}: key message {key} has no short form"
            assert len(message.short) < len(message.text)


def test_a_question_for_the_record_must_not_branch() -> None:
    data = get_protocol("partial-stent-loss").model_dump(mode="json")
    node = next(n for n in data["nodes"] if n["id"] == "balloon-position")
    node["for_record"] = True
    with pytest.raises(ValidationError, match="same step whatever the answer"):
        type(get_protocol("partial-stent-loss")).model_validate(data)


@settings(max_examples=60)
@given(
    protocol_id=st.sampled_from(sorted(load_protocols())),
    moves=st.lists(st.integers(min_value=0, max_value=9), max_size=14),
)
def test_random_runs_with_record_answers_stops_and_undos_replay_exactly(
    protocol_id: str, moves: list[int]
) -> None:
    session = start(protocol_id, clock=FakeClock())
    for move in moves:
        if move == 0 and (session.answers or session.stopped):
            session = session.undo()
        elif move == 1 and not session.finished:
            session = session.stop()
        elif move == 2 and session.pending_record:
            question = session.pending_record[0]
            session = session.record(question.id, (question.answers or [])[0].id)
        elif not session.finished:
            options = session.options()
            session = session.record(session.current.id, options[move % len(options)][0])
        assert session.current.id not in {q.id for q in session.pending_record}
        again = Session.from_dict(session.to_dict())
        assert (again.current.id, again.facts, again.stopped) == (
            session.current.id,
            session.facts,
            session.stopped,
        )
        assert [q.id for q in again.pending_record] == [q.id for q in session.pending_record]
