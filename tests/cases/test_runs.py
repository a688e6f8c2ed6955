"""The one home of a protocol run (``stentguide.runs.Runs``), on SQLite and PostgreSQL.

What the faces rely on: a run starts stored, each change costs at most three
statements, two changes to the same step cannot both be recorded, each event
names who recorded it, the outcome follows undo, and unknown ids are not found.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from stentguide.cases import Registry, schema
from stentguide.cases.run_append import SnapshotBehind, insert_after
from stentguide.errors import InvalidAnswerError, NotFoundError, StaleStepError
from stentguide.runs import Runs
from tests.cases.conftest import make_case

PARTIAL = "partial-stent-loss"


@contextmanager
def statements(registry: Registry) -> Iterator[list[str]]:
    """Every SQL statement the registry's engine sends while the block runs."""
    seen: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if not statement.lstrip().upper().startswith(("PRAGMA", "BEGIN", "COMMIT", "ROLLBACK")):
            seen.append(statement)

    event.listen(registry.engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(registry.engine, "before_cursor_execute", count)


def _first_answer(runs: Runs, run_id: str) -> tuple[str, str]:
    session = runs.load(run_id)
    return session.current.id, session.options()[0][0]


def test_an_answer_costs_at_most_three_statements_and_no_read_on_a_kept_run(
    registry: Registry,
) -> None:
    runs = Runs(registry)
    session = runs.start(PARTIAL, actor="dr-a")
    run_id = session.session_id
    runs.load(run_id)  # the pool holds a connection: connecting is not counted
    for _ in range(6):
        session = runs.load(run_id)
        if session.finished:
            break
        node, answer = session.current.id, session.options()[0][0]
        with statements(registry) as seen:
            runs.answer(run_id, node, answer, actor="dr-a", acknowledge="all")
        assert 1 <= len(seen) <= 3, seen
        reads = [s for s in seen if s.lstrip().upper().startswith("SELECT")]
        assert reads == [], "the kept snapshot is checked by the insert itself, not read again"
    assert runs.load(run_id).answers, "the walk recorded answers"


def test_events_name_who_recorded_them(registry: Registry) -> None:
    runs = Runs(registry)
    run_id = runs.start(PARTIAL, actor="dr-a").session_id
    node, answer = _first_answer(runs, run_id)
    runs.answer(run_id, node, answer, actor="nurse-b")
    e = schema.run_events.c
    with registry.read() as conn:
        actors = conn.execute(sa.select(e.actor).where(e.run_id == run_id).order_by(e.seq)).all()
    names = [row.actor for row in actors]
    assert names[0] == "dr-a" and names[-1] == "nurse-b"


def test_a_stale_step_is_refused_and_nothing_recorded(registry: Registry) -> None:
    runs = Runs(registry)
    run_id = runs.start(PARTIAL, actor="dr-a").session_id
    node, answer = _first_answer(runs, run_id)
    runs.answer(run_id, node, answer, actor="dr-a")
    before = len(runs.load(run_id).events)
    with pytest.raises(StaleStepError, match="current step"):
        runs.answer(run_id, node, answer, actor="dr-b")
    assert len(runs.load(run_id).events) == before


def test_two_changes_read_at_once_cannot_both_be_appended(registry: Registry) -> None:
    runs = Runs(registry)
    run_id = runs.start(PARTIAL, actor="dr-a").session_id
    node, answer = _first_answer(runs, run_id)
    first = registry.runs.get(run_id)
    second = registry.runs.get(run_id)
    from stentguide.protocols import Session

    for stored, who in ((first, "dr-a"), (second, "dr-b")):
        session = Session.from_record(stored.record).record(node, answer)
        if who == "dr-a":
            registry.runs.append(
                stored, session.to_record(), actor=who, outcome_id=None, outcome_category=None
            )
        else:
            with pytest.raises(StaleStepError, match="changed by someone else"):
                registry.runs.append(
                    stored, session.to_record(), actor=who, outcome_id=None, outcome_category=None
                )
    assert runs.load(run_id).answers == [(node, answer)]


def test_a_bad_answer_is_an_input_error_naming_the_field(registry: Registry) -> None:
    runs = Runs(registry)
    run_id = runs.start(PARTIAL, actor="dr-a").session_id
    node = runs.load(run_id).current.id
    with pytest.raises(InvalidAnswerError) as err:
        runs.answer(run_id, node, "sideways", actor="dr-a")
    assert set(err.value.problems) == {"answer"}
    assert "sideways" in str(err.value)


def test_unknown_ids_are_not_found(registry: Registry) -> None:
    runs = Runs(registry)
    with pytest.raises(NotFoundError) as err:
        runs.load("0" * 32)
    assert err.value.problems == {"run_id": f"{'0' * 32!r} is not stored"}
    run_id = runs.start(PARTIAL, actor="dr-a").session_id
    with pytest.raises(NotFoundError, match="no such case"):
        runs.attach(run_id, "f" * 32, actor="dr-a")


def test_outcome_follows_the_session_through_undo(registry: Registry) -> None:
    runs = Runs(registry)
    run_id = runs.start(PARTIAL, actor="dr-a").session_id
    while not (session := runs.load(run_id)).finished:
        runs.answer(run_id, session.current.id, session.options()[0][0], actor="dr-a")
    assert runs.summary(run_id).outcome_id == session.current.id
    runs.undo(run_id, actor="dr-a", reason="wrong button")
    assert runs.summary(run_id).outcome_id is None


def test_attach_to_a_case_is_audited_once(registry: Registry) -> None:
    runs = Runs(registry)
    case = registry.cases.add(make_case(), actor="dr-a")
    run_id = runs.start(PARTIAL, actor="dr-a").session_id
    assert runs.attach(run_id, case.uid, actor="dr-a").case_uid == case.uid
    runs.attach(run_id, case.uid, actor="dr-a")
    lines = registry.audit.entries(entity="run", entity_id=run_id)
    assert [line.action for line in lines] == ["attach", "create"]
    assert [r.run_id for r in runs.recent(case_uid=case.uid)] == [run_id]


def test_a_change_keeps_the_replayed_session_with_the_snapshot(registry: Registry) -> None:
    runs = Runs(registry)
    run_id = runs.start(PARTIAL, actor="dr-a").session_id
    node, answer = _first_answer(runs, run_id)
    answered = runs.answer(run_id, node, answer, actor="dr-a")
    stored = registry.runs.get(run_id)
    assert stored.replayed is answered, "no event came in: the kept session is used as it is"
    assert len(stored.record.events) == len(answered.events)


def test_a_change_made_by_another_server_process_is_read_before_the_next(db_url: str) -> None:
    """Two registries on one database stand for two server processes, each with its snapshots."""
    with Registry.open(db_url) as first, Registry.open(db_url) as second:
        run_id = Runs(first).start(PARTIAL, actor="dr-a").session_id
        node, answer = _first_answer(Runs(second), run_id)  # the second keeps a snapshot too
        Runs(first).answer(run_id, node, answer, actor="dr-a")
        with pytest.raises(StaleStepError, match="current step"):
            Runs(second).answer(run_id, node, answer, actor="dr-b")
        session = Runs(second).load(run_id)
        assert session.answers == [(node, answer)], "the second sees the first's answer"
        following = session.current.id
        Runs(second).answer(run_id, following, session.options()[0][0], actor="dr-b")
        logs = [[e.row() for e in Runs(r).load(run_id).events] for r in (first, second)]
        assert logs[0] == logs[1]
        with first.read() as conn:
            seqs = conn.execute(
                sa.select(schema.run_events.c.seq)
                .where(schema.run_events.c.run_id == run_id)
                .order_by(schema.run_events.c.seq)
            ).scalars().all()
        assert list(seqs) == list(range(len(seqs))), "the log stays consecutive"


def test_two_processes_answering_the_same_step_at_once_record_one(db_url: str) -> None:
    with Registry.open(db_url) as first, Registry.open(db_url) as second:
        run_id = Runs(first).start(PARTIAL, actor="dr-a").session_id
        node, answer = _first_answer(Runs(second), run_id)
        before = len(Runs(first).load(run_id).events)
        start = threading.Barrier(2)
        outcomes: list[str] = []

        def answer_from(registry: Registry, who: str) -> None:
            start.wait()
            try:
                Runs(registry).answer(run_id, node, answer, actor=who)
                outcomes.append("recorded")
            except StaleStepError:
                outcomes.append("stale")

        threads = [
            threading.Thread(target=answer_from, args=(first, "dr-a")),
            threading.Thread(target=answer_from, args=(second, "dr-b")),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(outcomes) == ["recorded", "stale"]
        session = Runs(first).load(run_id)
        assert session.answers == [(node, answer)]
        assert len(session.events) > before


def _event_rows(run_id: str, seqs: range, actor: str) -> list[dict[str, Any]]:
    at = "2026-01-01T00:00:{:02d}Z"
    return [
        {"run_id": run_id, "seq": seq, "at": at.format(seq), "type": "entered", "node": None}
        | {"data": {}, "actor": actor}
        for seq in seqs
    ]


def _stored_seqs(registry: Registry, run_id: str) -> list[int]:
    e = schema.run_events.c
    with registry.read() as conn:
        query = sa.select(e.seq).where(e.run_id == run_id).order_by(e.seq)
        return list(conn.execute(query).scalars())


def test_the_guarded_insert_writes_all_the_events_or_none(registry: Registry) -> None:
    run_id = Runs(registry).start(PARTIAL, actor="dr-a").session_id
    stored = _stored_seqs(registry, run_id)
    after = stored[-1]
    with pytest.raises(SnapshotBehind), registry.engine.begin() as conn:
        insert_after(conn, _event_rows(run_id, range(after + 2, after + 4), "dr-a"))
    assert _stored_seqs(registry, run_id) == stored, "a gap: nothing is written"
    with registry.engine.begin() as conn:  # more than one statement's worth of rows
        insert_after(conn, _event_rows(run_id, range(after + 1, after + 12), "dr-a"))
    assert _stored_seqs(registry, run_id) == [*stored, *range(after + 1, after + 12)]
    with pytest.raises(sa.exc.IntegrityError), registry.engine.begin() as conn:
        insert_after(conn, _event_rows(run_id, range(after + 11, after + 13), "dr-b"))
    assert _stored_seqs(registry, run_id)[-1] == after + 11, "a taken seq: nothing is written"
