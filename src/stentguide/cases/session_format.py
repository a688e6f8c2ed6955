"""The shape of a protocol session as the protocol engine serialises it.

``stentguide.session/1``: ``session_id`` (uuid4 hex), ``protocol_id``,
``protocol_version``, ``case`` (``facts`` and ``devices``) and ``events``, each
with a 0-based consecutive ``seq``, an ISO-8601 UTC ``at``, a ``type``, a
``node`` (or null), ``data``, and the protocol id and version it was recorded
under (which must be the run's; they are stored once, on the run). Derived
fields the engine may add (path, outcome) are not part of the record and are
ignored here: they are recomputed from the events.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

__all__ = ["SESSION_FORMAT", "SessionCase", "SessionEvent", "SessionRecord"]

SESSION_FORMAT = "stentguide.session/1"


class SessionEvent(BaseModel):
    """One timestamped event of a run."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    seq: int = Field(ge=0)
    at: Annotated[str, StringConstraints(min_length=1, max_length=40)]
    type: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    node: Annotated[str, StringConstraints(max_length=128)] | None
    data: dict[str, Any]
    protocol_id: str | None = None
    protocol_version: str | None = None

    @field_validator("at")
    @classmethod
    def _iso_utc(cls, value: str) -> str:
        try:
            parsed = dt.datetime.fromisoformat(value)
        except ValueError:
            raise ValueError(f"{value!r} is not an ISO-8601 timestamp") from None
        if parsed.tzinfo is None or parsed.utcoffset() != dt.timedelta(0):
            raise ValueError(f"{value!r} is not in UTC")
        return value

    @field_validator("data")
    @classmethod
    def _json_data(cls, value: dict[str, Any]) -> dict[str, Any]:
        try:
            normalised: dict[str, Any] = json.loads(json.dumps(value, allow_nan=False))
        except (TypeError, ValueError) as exc:
            raise ValueError(f"event data is not JSON-compatible: {exc}") from None
        return normalised

    def record(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "at": self.at,
            "type": self.type,
            "node": self.node,
            "data": self.data,
        }


class SessionCase(BaseModel):
    """The case facts and declared devices a run started from."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    facts: dict[str, Any]
    devices: dict[str, str]


class SessionRecord(BaseModel):
    """A whole serialised session."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    format: Literal["stentguide.session/1"]
    session_id: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{32}$")]
    protocol_id: Annotated[str, StringConstraints(min_length=1, max_length=128)]
    protocol_version: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    case: SessionCase
    events: list[SessionEvent]

    @field_validator("events")
    @classmethod
    def _consecutive(cls, events: list[SessionEvent]) -> list[SessionEvent]:
        for index, event in enumerate(events):
            if event.seq != index:
                raise ValueError(f"event {index} has seq {event.seq}; seq must run 0, 1, 2, ...")
        return events

    @model_validator(mode="after")
    def _events_of_this_protocol(self) -> SessionRecord:
        for event in self.events:
            for field, expected in (
                ("protocol_id", self.protocol_id),
                ("protocol_version", self.protocol_version),
            ):
                given = getattr(event, field)
                if given is not None and given != expected:
                    raise ValueError(
                        f"event {event.seq} was recorded under {field} {given!r}, not {expected!r}"
                    )
        return self

    def record(self) -> dict[str, Any]:
        """The session as a JSON-compatible dict, without derived fields."""
        return {
            "format": self.format,
            "session_id": self.session_id,
            "protocol_id": self.protocol_id,
            "protocol_version": self.protocol_version,
            "case": {"facts": self.case.facts, "devices": dict(self.case.devices)},
            "events": [event.record() for event in self.events],
        }
