"""Protocol runs kept in the case registry: the one home both faces use.

A run is a :class:`~stentguide.protocols.Session` (the engine, pure) stored in a
registry's run log (:class:`~stentguide.cases.run_log.RunLog`, append-only).
:class:`Runs` starts, loads, changes, continues, lists and attaches runs; the
command line and the web app call it and hold no rule of their own.

A change to a run in progress (an answer, an acknowledgement, an undo, devices
declared) is read, applied by the engine and appended in one transaction of
three statements at most; two changes made at once to the same step cannot both
be recorded (the second is a :class:`~stentguide.errors.StaleStepError`). The
replayed session is kept with the registry's snapshot of the run, so a change
replays nothing when the database confirms that no event came in meanwhile.

>>> from stentguide.cases import Registry
>>> with Registry.open("sqlite://") as registry:  # doctest: +SKIP
...     runs = Runs(registry)
...     session = runs.start("partial-stent-loss", actor="dr-a")
...     session = runs.answer(session.session_id, session.current.id, "stripped-crossing",
...                           actor="dr-a")
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from typing import Any, Literal

from stentguide.cases import Registry, RunSummary
from stentguide.cases.run_log import Changed
from stentguide.cases.run_read import StoredRun
from stentguide.errors import SessionError
from stentguide.protocols import Protocol, Session, get_protocol, start
from stentguide.protocols.model import FactValue

__all__ = ["Runs"]


def _ending(session: Session) -> dict[str, str | None]:
    """The run's stored outcome columns: the outcome reached, or the stop."""
    outcome = session.outcome
    if session.stopped:
        return {"outcome_id": "stopped", "outcome_category": session.ending_category}
    return {
        "outcome_id": outcome.id if outcome else None,
        "outcome_category": outcome.category.value if outcome else None,
    }

Change = Callable[[Session], Session]


class Runs:
    """The protocol runs of one registry, as engine sessions."""

    def __init__(self, registry: Registry) -> None:
        self.registry = registry

    # ------------------------------------------------------------------ whole runs
    def start(
        self,
        protocol: Protocol | str,
        case: Mapping[str, Any] | None = None,
        *,
        actor: str,
        case_uid: str | None = None,
    ) -> Session:
        """Start ``protocol`` for ``case`` (facts and devices) and store the run at once."""
        session = start(protocol, case)
        self.save(session, actor=actor, case_uid=case_uid)
        return session

    def save(
        self, session: Session, *, actor: str, case_uid: str | None = None
    ) -> RunSummary:
        """Store a session, or append the events the registry has not seen yet."""
        record = session.to_record()
        summary = self.registry.runs.save(
            record, actor=actor, case_uid=case_uid, **_ending(session)
        )
        self.registry.runs.snapshots.put(
            StoredRun(
                record=record,
                case_uid=summary.case_uid,
                outcome_id=summary.outcome_id,
                outcome_category=summary.outcome_category,
                created_by=summary.created_by,
                replayed=session,
            )
        )
        return summary

    def _replayed(self, stored: StoredRun) -> Session:
        """The stored run as a session: the one kept with its snapshot, else replayed now."""
        if isinstance(stored.replayed, Session):
            return stored.replayed
        session = Session.from_record(stored.record)
        self.registry.runs.snapshots.put(replace(stored, replayed=session))
        return session

    def load(self, run_id: str) -> Session:
        """The run with this id, replayed; :class:`~stentguide.errors.NotFoundError` if none."""
        return self._replayed(self.registry.runs.get(run_id))

    def recent(self, limit: int = 10, *, case_uid: str | None = None) -> list[RunSummary]:
        """The newest runs (of one case when ``case_uid`` is given)."""
        return self.registry.runs.find(case_uid=case_uid, limit=limit)

    def last_seq(self, run_id: str) -> int:
        """The newest event's ``seq`` (-1 with none): a cheap check for a live view."""
        return self.registry.runs.last_seq(run_id)

    def summary(self, run_id: str) -> RunSummary:
        """The stored run without its events (case, outcome, who started it, when)."""
        return self.registry.runs.summary(run_id)

    def attach(self, run_id: str, case_uid: str, *, actor: str) -> RunSummary:
        """Attach the run to a registry case."""
        return self.registry.runs.attach(run_id, case_uid, actor=actor)

    # ------------------------------------------------------------------ one step
    def change(self, run_id: str, change: Change, *, actor: str) -> Session:
        """Apply ``change`` (an engine operation) to the stored run and append its events."""

        def apply(stored: StoredRun) -> Changed:
            before = stored.replayed
            if not isinstance(before, Session):
                before = Session.from_record(stored.record)
            session = change(before)
            return Changed(session.to_record(), **_ending(session), replayed=session)

        changed = self.registry.runs.change(run_id, apply, actor=actor)
        assert isinstance(changed.replayed, Session)
        return changed.replayed

    def answer(
        self,
        run_id: str,
        node: str,
        answer: str | float,
        *,
        actor: str,
        acknowledge: Iterable[str] | Literal["all"] | None = None,
    ) -> Session:
        """Answer ``node`` (which must be the current step), acknowledging key messages first."""
        return self.change(
            run_id, lambda s: s.record(node, answer, acknowledge=acknowledge), actor=actor
        )

    def acknowledge(
        self,
        run_id: str,
        node: str,
        key_messages: Iterable[str] | Literal["all"],
        *,
        actor: str,
    ) -> Session:
        """Record key messages of the current step as read and acted on."""
        return self.change(run_id, lambda s: s.acknowledge(node, key_messages), actor=actor)

    def stop(self, run_id: str, *, actor: str, reason: str | None = None) -> Session:
        """Stop the run now at its current step (undo resumes it)."""
        return self.change(run_id, lambda s: s.stop(reason), actor=actor)

    def undo(self, run_id: str, *, actor: str, reason: str | None = None) -> Session:
        """Step back over the last answer (an ``undone`` event is appended)."""
        return self.change(run_id, lambda s: s.undo(reason), actor=actor)

    def declare(
        self,
        run_id: str,
        *,
        actor: str,
        devices: Mapping[str, str] | None = None,
        facts: Mapping[str, FactValue] | None = None,
    ) -> Session:
        """Declare or change devices and facts mid-run; the step's checks are re-run."""
        return self.change(run_id, lambda s: s.declare(devices=devices, facts=facts), actor=actor)

    def continue_run(self, run_id: str, *, actor: str) -> Session:
        """Start the pathway a changed-pathway outcome points to, with the case handed over.

        The new run is attached to the same registry case as the one it continues.
        """
        stored = self.registry.runs.get(run_id)
        session = self._replayed(stored)
        outcome = session.outcome
        if outcome is None or outcome.continue_with is None:
            raise SessionError("this run has not ended with a change of pathway")
        protocol = get_protocol(outcome.continue_with)
        following = start(protocol, session.handover(protocol))
        self.save(following, actor=actor, case_uid=stored.case_uid)
        return following
