"""Apply a scripted list of answers to a session (non-interactive runs, tests, the API).

The script is a JSON list, or an object with an ``answers`` list. Each entry is one of::

    {"node": "small-balloon", "answer": "did-not-enter", "acknowledge": "all"}
    {"node": "radiation-check", "answer": 3.2}
    {"undo": true, "reason": "wrong button"}
    {"declare": {"devices": {"snare": "microsnare 4mm"}, "facts": {}}}

An entry that does not apply raises :class:`SessionError` naming its position; the
session is returned only when every entry applied, so nothing is half-written.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from stentguide.errors import InputError, SessionError
from stentguide.protocols.engine import Session

__all__ = ["apply_answers"]


def _entries(script: Any) -> list[Any]:
    if isinstance(script, Mapping):
        script = script.get("answers")
    if not isinstance(script, list):
        raise SessionError("an answers script is a JSON list, or an object with an 'answers' list")
    return script


def _apply_one(session: Session, entry: Any) -> Session:
    if not isinstance(entry, Mapping):
        raise SessionError("expected an object")
    if entry.get("undo"):
        reason = entry.get("reason")
        return session.undo(str(reason) if reason is not None else None)
    if "declare" in entry:
        declared = entry["declare"]
        if not isinstance(declared, Mapping):
            raise SessionError("'declare' takes an object with 'devices' and/or 'facts'")
        return session.declare(devices=declared.get("devices"), facts=declared.get("facts"))
    missing = [k for k in ("node", "answer") if k not in entry]
    if missing:
        raise SessionError(f"missing {' and '.join(repr(k) for k in missing)}")
    answer = entry["answer"]
    if not isinstance(answer, str | int | float) or isinstance(answer, bool):
        raise SessionError(f"'answer' must be an answer id or a number, got {answer!r}")
    acknowledge = entry.get("acknowledge")
    if acknowledge is not None and acknowledge != "all" and not isinstance(acknowledge, list):
        raise SessionError("'acknowledge' is \"all\" or a list of key message ids")
    return session.record(str(entry["node"]), answer, acknowledge=acknowledge)


def apply_answers(session: Session, script: Any) -> Session:
    """Apply every entry of ``script`` in order and return the resulting session."""
    for index, entry in enumerate(_entries(script), start=1):
        try:
            session = _apply_one(session, entry)
        except (SessionError, InputError) as exc:
            raise SessionError(f"answers entry {index}: {exc}") from None
    return session
