"""The one wire format of a protocol session: ``stentguide.session/1``.

A session record is the run's identity (``session_id``, ``protocol_id``,
``protocol_version``), the ``case`` it started from (``facts`` and ``devices``)
and its ``events``, each with a 0-based consecutive ``seq``, an ISO-8601 UTC
``at``, a ``type``, a ``node`` (or null), the protocol id and version it was
recorded under (which must be the run's), and a ``data`` payload whose shape the
``type`` decides (a pydantic discriminated union, so a payload of the wrong shape
is refused when read, not discovered when replayed). Derived fields a reader may
find beside them (path, outcome) are ignored: they are recomputed from the events.

The engine (:mod:`stentguide.protocols.engine`) writes and reads this format; the
registry's run log stores it; files saved with ``stentguide run --save`` hold it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    StringConstraints,
    TypeAdapter,
    ValidationError,
    field_validator,
    model_serializer,
    model_validator,
)

from stentguide.errors import SessionError
from stentguide.protocols.model import FactValue

__all__ = [
    "SESSION_FORMAT",
    "AcknowledgedEvent",
    "AnsweredEvent",
    "CaseContext",
    "DeclaredEvent",
    "EndedEvent",
    "EnteredEvent",
    "Event",
    "EventType",
    "SessionRecord",
    "StartedEvent",
    "UndoneEvent",
    "event_from_row",
    "read_record",
]

SESSION_FORMAT = "stentguide.session/1"
EventType = Literal["started", "entered", "declared", "acknowledged", "answered", "undone", "ended"]

_Name = Annotated[str, StringConstraints(min_length=1, max_length=128)]
_DeviceName = Annotated[str, StringConstraints(min_length=1, max_length=200)]


class CaseContext(BaseModel):
    """What the case declares: facts (``wire_in_place: true``) and devices by role."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    facts: dict[_Name, FactValue] = Field(default_factory=dict)
    devices: dict[_Name, _DeviceName] = Field(default_factory=dict)


class _Payload(BaseModel):
    """An event's ``data``; optional keys that are absent are left out when written."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    @model_serializer(mode="wrap")
    def _without_absent(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        dumped: dict[str, Any] = handler(self)
        return {key: value for key, value in dumped.items() if value is not None}


class _EventBase(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    seq: int = Field(ge=0)
    at: dt.datetime
    protocol_id: _Name | None = None
    protocol_version: Annotated[str, StringConstraints(min_length=1, max_length=64)] | None = None
    node: _Name | None = None

    @field_validator("at")
    @classmethod
    def _utc(cls, value: dt.datetime) -> dt.datetime:
        if value.tzinfo is None or value.utcoffset() != dt.timedelta(0):
            raise ValueError(f"{value.isoformat()!r} is not in UTC")
        return value

    def row(self) -> dict[str, Any]:
        """The event as the run log stores it (the protocol is stored once, on the run)."""
        return self.model_dump(mode="json", exclude={"protocol_id", "protocol_version"})


class StartedData(_Payload):
    case: CaseContext


class StartedEvent(_EventBase):
    type: Literal["started"] = "started"
    data: StartedData


class EnteredData(_Payload):
    """Snapshots of what the step showed: unmet preconditions, device checks, key messages."""

    preconditions: list[dict[str, Any]] | None = None
    device_checks: list[dict[str, Any]] | None = None
    key_messages_new: list[_Name] | None = None
    """Key messages shown in full at this step (not acknowledged at an earlier step)."""
    key_messages_known: list[_Name] | None = None
    """Key messages shown as their short form only (acknowledged at an earlier step)."""


class EnteredEvent(_EventBase):
    type: Literal["entered"] = "entered"
    data: EnteredData = Field(default_factory=EnteredData)


class DeclaredData(_Payload):
    devices: dict[_Name, _DeviceName] = Field(default_factory=dict)
    facts: dict[_Name, FactValue] = Field(default_factory=dict)


class DeclaredEvent(_EventBase):
    type: Literal["declared"] = "declared"
    data: DeclaredData


class AcknowledgedData(_Payload):
    key_messages: list[_Name] = Field(min_length=1)


class AcknowledgedEvent(_EventBase):
    type: Literal["acknowledged"] = "acknowledged"
    data: AcknowledgedData


class AnsweredData(_Payload):
    answer: _Name
    label: Annotated[str, StringConstraints(max_length=500)]
    value: float | None = None
    unit: Annotated[str, StringConstraints(max_length=32)] | None = None


class AnsweredEvent(_EventBase):
    type: Literal["answered"] = "answered"
    data: AnsweredData


class UndoneData(_Payload):
    undoes_seq: int = Field(ge=0)
    answer: _Name
    reason: Annotated[str, StringConstraints(max_length=500)] | None = None


class UndoneEvent(_EventBase):
    type: Literal["undone"] = "undone"
    data: UndoneData


class EndedData(_Payload):
    category: _Name
    reason: Annotated[str, StringConstraints(max_length=500)] | None = None


class EndedEvent(_EventBase):
    type: Literal["ended"] = "ended"
    data: EndedData


Event = Annotated[
    StartedEvent
    | EnteredEvent
    | DeclaredEvent
    | AcknowledgedEvent
    | AnsweredEvent
    | UndoneEvent
    | EndedEvent,
    Field(discriminator="type"),
]
"""One appended entry of a session record; ``type`` chooses the payload's shape."""

_EVENT = TypeAdapter[Event](Event)


def event_from_row(row: dict[str, Any]) -> Event:
    """An event read back from storage (a mapping with ``seq, at, type, node, data``)."""
    return _EVENT.validate_python(row)


class SessionRecord(BaseModel):
    """A whole serialised session."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    format: Literal["stentguide.session/1"] = "stentguide.session/1"
    session_id: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{32}$")]
    protocol_id: _Name
    protocol_version: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    case: CaseContext
    events: list[Event]

    @field_validator("events")
    @classmethod
    def _consecutive(cls, events: list[Event]) -> list[Event]:
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

    def to_json(self) -> dict[str, Any]:
        """The record as JSON-compatible data, every event stamped with the protocol."""
        stamp = {"protocol_id": self.protocol_id, "protocol_version": self.protocol_version}
        return {
            "format": self.format,
            "session_id": self.session_id,
            "protocol_id": self.protocol_id,
            "protocol_version": self.protocol_version,
            "case": self.case.model_dump(mode="json"),
            "events": [{**event.model_dump(mode="json"), **stamp} for event in self.events],
        }


def read_record(data: Any) -> SessionRecord:
    """A session record read from JSON data; :class:`SessionError` says what is wrong."""
    if not isinstance(data, Mapping) or data.get("format") != SESSION_FORMAT:
        raise SessionError(f"not a stentguide session record (expected format {SESSION_FORMAT})")
    missing = [
        k
        for k in ("session_id", "protocol_id", "protocol_version", "case", "events")
        if k not in data
    ]
    if missing:
        raise SessionError(f"session record lacks {', '.join(missing)}")
    try:
        return SessionRecord.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise SessionError(f"session record is malformed at {where}: {first['msg']}") from None
