"""The one exception tree of stentguide.

Every error the package raises on purpose derives from :class:`StentguideError`,
so a caller (the CLI, the web app, a script) can catch one base and show the
message. The tree::

    StentguideError
    ├── KnowledgeError            a data file under knowledge/ is invalid
    │   └── ReferenceError_       a citation names no entry of the references
    ├── ProtocolError             a protocol graph is invalid or unknown
    │   └── SessionError          an answer, undo or resume that the session refuses
    ├── InputError                user input is missing, of the wrong type or out of range
    │   └── UnknownNameError      a named thing (protocol, device, score) does not exist
    ├── DeviceError               a device question that cannot be answered safely
    └── StoreError                the case registry refused or failed a write

Messages name the offending file, node or field: a message that does not say
what to fix is a bug.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

__all__ = [
    "DeviceError",
    "InputError",
    "KnowledgeError",
    "ProtocolError",
    "ReferenceError_",
    "SessionError",
    "StentguideError",
    "StoreError",
    "UnknownNameError",
]


class StentguideError(Exception):
    """Base of every error stentguide raises on purpose."""


class KnowledgeError(StentguideError):
    """A knowledge data file is missing, malformed or inconsistent."""


class ReferenceError_(KnowledgeError):
    """A ``sources`` entry names no reference in ``knowledge/references/``."""


class ProtocolError(StentguideError):
    """A protocol is unknown or its graph is invalid."""


class SessionError(ProtocolError):
    """A session refused an answer, an undo or a resume."""


class InputError(StentguideError):
    """User input is missing, of the wrong type or out of range.

    ``problems`` maps each offending field to what is wrong with it, so that a
    form or a batch report can point at every field at once.
    """

    def __init__(self, message: str, problems: Mapping[str, str] | None = None) -> None:
        self.problems: dict[str, str] = dict(problems or {})
        if self.problems:
            detail = "; ".join(f"{field}: {why}" for field, why in self.problems.items())
            message = f"{message} ({detail})"
        super().__init__(message)


class UnknownNameError(InputError):
    """A protocol, device or score name that does not exist; suggests close names."""

    def __init__(self, kind: str, name: str, known: Iterable[str]) -> None:
        import difflib

        self.kind = kind
        self.name = name
        self.suggestions = difflib.get_close_matches(name, list(known), n=3, cutoff=0.4)
        hint = f"; did you mean {', '.join(self.suggestions)}?" if self.suggestions else ""
        super().__init__(f"unknown {kind} {name!r}{hint}")


class DeviceError(StentguideError):
    """A device question that cannot be answered safely (e.g. past rated burst)."""


class StoreError(StentguideError):
    """The case registry refused or failed a write."""
