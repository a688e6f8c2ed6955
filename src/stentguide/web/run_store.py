"""Protocol sessions in progress, kept in the case registry so they survive a restart.

Every change to a session is appended to the registry's run log through
:meth:`~stentguide.cases.Registry.save_run` (append-only, audited); reading a
session replays its stored events with :meth:`Session.from_dict`. Nothing is
kept in the server's memory between requests, so any worker process, or the
same server after a restart, continues the same run.
"""

from __future__ import annotations

from stentguide.cases import Registry, RunSummary
from stentguide.errors import InputError
from stentguide.protocols import Session
from stentguide.web.errors import NotFoundError

__all__ = ["RunStore"]


class RunStore:
    """Load and save protocol sessions by id in one registry."""

    def __init__(self, registry: Registry) -> None:
        self.registry = registry

    def save(self, session: Session, *, actor: str) -> RunSummary:
        """Append the session's new events (and its outcome once it has one)."""
        outcome = session.outcome
        return self.registry.runs.save(
            session.to_dict(),
            actor=actor,
            outcome_id=outcome.id if outcome else None,
            outcome_category=outcome.category.value if outcome else None,
        )

    def load(self, run_id: str) -> Session:
        """The session with this id; :class:`NotFoundError` when the registry has none."""
        try:
            record = self.registry.runs.load(run_id)
        except InputError:
            raise NotFoundError("run", run_id) from None
        return Session.from_dict(record)

    def recent(self, limit: int = 10) -> list[RunSummary]:
        """The newest runs, for the home page."""
        return self.registry.runs.find(limit=limit)
