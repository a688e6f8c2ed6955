"""Play a training case: an immutable, timestamped, replayable play-through.

A :class:`Play` runs the case on the protocol engine (the case seen as a
pathway graph, see :mod:`stentguide.training.pathway_graph`), so a play has
the engine's guarantees: every choice is an appended, timestamped event, and a
play serialised with :meth:`Play.to_dict` resumes exactly with
:meth:`Play.from_dict`. Choosing returns a new play; nothing is rewritten.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from stentguide.errors import InputError, SessionError
from stentguide.protocols import Session, get_protocol, start
from stentguide.protocols.record import AnsweredEvent
from stentguide.training.loader import get_case
from stentguide.training.model import Choice, End, Moment, TrainingCase
from stentguide.training.pathway_graph import case_as_protocol

__all__ = ["PLAY_FORMAT", "ChoiceMade", "Play", "begin", "play_choices"]

PLAY_FORMAT = "stentguide.training-play/1"
Clock = Callable[[], datetime]


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class ChoiceMade:
    """One decision of the trainee, with when it was made."""

    moment: Moment
    choice: Choice
    at: datetime

    def record(self) -> dict[str, str]:
        return {"moment": self.moment.id, "choice": self.choice.id, "at": self.at.isoformat()}


class Play:
    """A play-through of one case; :meth:`choose` returns a new play."""

    __slots__ = ("case", "session")

    def __init__(self, case: TrainingCase, session: Session) -> None:
        self.case = case
        self.session = session

    @property
    def current(self) -> Moment | End:
        """The moment awaiting a choice, or the end reached."""
        node_id = self.session.current.id
        found = self.case.moment(node_id) or self.case.end(node_id)
        if found is None:
            raise SessionError(f"case {self.case.id!r} has no moment or end {node_id!r}")
        return found

    @property
    def finished(self) -> bool:
        return isinstance(self.current, End)

    @property
    def end(self) -> End | None:
        current = self.current
        return current if isinstance(current, End) else None

    @property
    def choices(self) -> list[ChoiceMade]:
        """The decisions made so far, in order, with their timestamps."""
        made: list[ChoiceMade] = []
        for event in self.session.events:
            if not isinstance(event, AnsweredEvent) or event.node is None:
                continue
            moment = self.case.moment(event.node)
            choice = moment.choice(event.data.answer) if moment else None
            if moment is None or choice is None:
                raise SessionError(f"event {event.seq} names no choice of case {self.case.id!r}")
            made.append(ChoiceMade(moment, choice, event.at))
        return made

    @property
    def path(self) -> list[tuple[str, str]]:
        """``(moment id, choice id)`` pairs, the input of the scoring model."""
        return [(m.moment.id, m.choice.id) for m in self.choices]

    @property
    def started_at(self) -> datetime:
        return self.session.events[0].at

    @property
    def last_at(self) -> datetime:
        return self.session.events[-1].at

    @property
    def elapsed_seconds(self) -> float:
        """Wall-clock time from the start of the play to its last event."""
        return (self.last_at - self.started_at).total_seconds()

    def choose(self, choice_id: str) -> Play:
        """Make a choice at the current moment.

        Raises :class:`InputError` (field ``choice``) when the case has ended or
        the moment offers no such choice, listing the choices it does offer.
        """
        current = self.current
        if isinstance(current, End):
            raise InputError(
                "the case has ended",
                {"choice": f"{choice_id!r} comes after the end {current.id!r}"},
            )
        if current.choice(choice_id) is None:
            offered = ", ".join(c.id for c in current.choices)
            raise InputError(
                f"moment {current.id!r} has no such choice",
                {"choice": f"{choice_id!r}; choose one of: {offered}"},
            )
        return Play(self.case, self.session.record(current.id, choice_id))

    def to_dict(self) -> dict[str, Any]:
        """The play as JSON-compatible data (format ``stentguide.training-play/1``)."""
        return {
            "format": PLAY_FORMAT,
            "case_id": self.case.id,
            "case_version": self.case.version,
            "session": self.session.to_dict(),
        }

    @classmethod
    def from_dict(
        cls,
        data: Mapping[str, Any],
        *,
        case: TrainingCase | None = None,
        clock: Clock = _utc_now,
    ) -> Play:
        """Resume a serialised play; the case id and version must match."""
        if not isinstance(data, Mapping) or data.get("format") != PLAY_FORMAT:
            raise InputError("not a training play record", {"format": f"expected {PLAY_FORMAT}"})
        missing = {k: "missing" for k in ("case_id", "case_version", "session") if k not in data}
        if missing:
            raise InputError("the play record is incomplete", missing)
        case = case or get_case(str(data["case_id"]))
        if (case.id, case.version) != (data["case_id"], data["case_version"]):
            raise InputError(
                "the play belongs to another case version",
                {
                    "case_version": f"recorded {data['case_id']} {data['case_version']}, "
                    f"not {case.id} {case.version}"
                },
            )
        protocol = case_as_protocol(case, get_protocol(case.pathway))
        try:
            session = Session.from_dict(data["session"], protocol=protocol, clock=clock)
        except SessionError as exc:
            raise InputError("the play record does not replay", {"session": str(exc)}) from None
        return cls(case, session)


def begin(case: TrainingCase | str, *, clock: Clock = _utc_now) -> Play:
    """Open a case at its first moment (``case`` is a case or a shipped case id)."""
    if isinstance(case, str):
        case = get_case(case)
    protocol = case_as_protocol(case, get_protocol(case.pathway))
    return Play(case, start(protocol, clock=clock))


def _choice_id(entry: Any, index: int, play: Play) -> str:
    if isinstance(entry, str):
        return entry
    if isinstance(entry, Mapping) and isinstance(entry.get("choice"), str):
        moment = entry.get("moment")
        current = play.current
        if moment is not None and moment != current.id:
            raise InputError(
                "the choices do not follow the case",
                {f"choices[{index}].moment": f"is {moment!r}, but the case is at {current.id!r}"},
            )
        return str(entry["choice"])
    raise InputError(
        "bad choices script",
        {f"choices[{index}]": 'a choice id, or an object {"moment": ..., "choice": ...}'},
    )


def play_choices(
    case: TrainingCase | str, choices: Sequence[Any], *, clock: Clock = _utc_now
) -> Play:
    """Play a scripted list of choices from the start and return the play.

    Each entry is a choice id or ``{"moment": ..., "choice": ...}``. A choice
    that does not apply raises :class:`InputError` naming its position.
    """
    play = begin(case, clock=clock)
    for index, entry in enumerate(choices):
        choice_id = _choice_id(entry, index, play)
        try:
            play = play.choose(choice_id)
        except InputError as exc:
            why = "; ".join(exc.problems.values())
            raise InputError(
                f"choice {index + 1} does not apply", {f"choices[{index}]": why}
            ) from None
    return play
