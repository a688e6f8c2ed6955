"""The one exception tree of stentguide.

Every error the package raises on purpose derives from :class:`StentguideError`,
so a caller (the CLI, the web app, a script) can catch one base and show the
message. The tree::

    StentguideError
    ├── KnowledgeError            a data file under knowledge/ is invalid
    │   └── ReferenceError_       a citation names no entry of the references
    ├── ProtocolError             a protocol graph is invalid or unknown
    │   └── SessionError          an answer, undo or resume that the session refuses
    │       ├── StaleStepError    the step answered is no longer the current one (HTTP 409)
    │       └── InvalidAnswerError  an answer the step does not take (also an InputError)
    ├── InputError                user input is missing, of the wrong type or out of range
    │   ├── UnknownNameError      a named thing (protocol, device, score) does not exist
    │   └── NotFoundError         an id (run, case, user, attempt) that is not stored
    ├── DeviceError               a device question that cannot be answered safely
    └── StoreError                the case registry refused or failed a write

Messages name the offending file, node or field: a message that does not say
what to fix is a bug.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pydantic import ValidationError

__all__ = [
    "DeviceError",
    "InputError",
    "InvalidAnswerError",
    "KnowledgeError",
    "NotFoundError",
    "ProtocolError",
    "ReferenceError_",
    "SessionError",
    "StaleStepError",
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


MESSAGE_PROBLEMS = 20
"""An error's one-line message names at most this many problems and counts the rest."""


class InputError(StentguideError):
    """User input is missing, of the wrong type or out of range.

    ``problems`` maps each offending field to what is wrong with it, so that a
    form or a batch report can point at every field at once; the message names
    the first :data:`MESSAGE_PROBLEMS` of them.
    """

    def __init__(self, message: str, problems: Mapping[str, str] | None = None) -> None:
        self.problems: dict[str, str] = dict(problems or {})
        if self.problems:
            shown = list(self.problems.items())[:MESSAGE_PROBLEMS]
            detail = "; ".join(f"{field}: {why}" for field, why in shown)
            if len(self.problems) > len(shown):
                detail += f"; and {len(self.problems) - len(shown)} more"
            message = f"{message} ({detail})"
        super().__init__(message)

    @classmethod
    def from_validation(
        cls, message: str, exc: ValidationError, *, prefix: str = ""
    ) -> InputError:
        """An :class:`InputError` naming every field a pydantic validation refused.

        Field paths are dotted (``complications.0.kind``); ``prefix`` is put before
        each (``"row 3: "``) so a batch can say where a field is.
        """
        problems: dict[str, str] = {}
        for error in exc.errors():
            path = ".".join(str(part) for part in error["loc"]) or "(record)"
            problems[f"{prefix}{path}"] = error["msg"]
        return cls(message, problems)


_LIST_ALL = 8
"""Up to this many valid names, an unknown name's message lists them all."""


class UnknownNameError(InputError):
    """A protocol, device or score name that does not exist; suggests close names."""

    def __init__(self, kind: str, name: str, known: Iterable[str]) -> None:
        import difflib

        names = list(known)
        self.kind = kind
        self.name = name
        self.suggestions = difflib.get_close_matches(name, names, n=3, cutoff=0.4)
        hint = f"; did you mean {', '.join(self.suggestions)}?" if self.suggestions else ""
        if len(names) <= _LIST_ALL:
            # A short list of choices is given whole: a near miss may not be what was meant.
            hint += f" (one of: {', '.join(names)})" if hint else f"; one of: {', '.join(names)}"
        super().__init__(f"unknown {kind} {name!r}{hint}")


class NotFoundError(InputError):
    """An id that names nothing stored (a run, a case, a user, an attempt).

    ``kind`` is what was looked for and ``name`` the id given; ``problems`` names the
    field (``run_id``, ``uid``...) so a form can point at it. Faces answer 404.
    """

    def __init__(self, kind: str, name: str, field: str | None = None) -> None:
        self.kind = kind
        self.name = name
        super().__init__(f"no such {kind}", {field or kind: f"{name!r} is not stored"})


class StaleStepError(SessionError):
    """The step answered, acknowledged or undone is no longer the current one.

    Someone else answered meanwhile, the run has ended, or there is nothing to undo:
    the action is refused and nothing was recorded (HTTP 409).
    """


class InvalidAnswerError(SessionError, InputError):
    """An answer, a number or a key message the current step does not take (HTTP 422).

    The message says what is wrong and what the step takes; ``problems`` names the
    field it concerns (``answer``, ``acknowledge``) with the same message.
    """

    def __init__(self, message: str, field: str = "answer") -> None:
        InputError.__init__(self, message)
        self.problems = {field: message}


class DeviceError(StentguideError):
    """A device question that cannot be answered safely (e.g. past rated burst)."""


class StoreError(StentguideError):
    """The case registry refused or failed a write."""
