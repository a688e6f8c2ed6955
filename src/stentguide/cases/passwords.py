"""The password policy: long enough, not common, not breached, not guessable.

A new password must have at least :data:`MIN_PASSWORD_LENGTH` characters (NIST
SP 800-63B §3.1.1.2 asks for at least 8 and allows more; 12 is this project's
floor), at most :data:`MAX_PASSWORD_LENGTH`, must not be one of the common or
breached passwords that the zxcvbn library ships (its ``passwords`` frequency
list is drawn from leaked password sets), and zxcvbn must estimate it at
least "safely unguessable" (score 3 of 4; repeats such as ``aaaaaaaaaaaa``,
keyboard walks, dates and the username score low). NIST asks verifiers to
refuse "values known to be commonly-used, expected, or compromised"; this is
that check, made offline.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from stentguide.errors import InputError

__all__ = ["MAX_PASSWORD_LENGTH", "MIN_PASSWORD_LENGTH", "MIN_SCORE", "check_password"]

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 256
MIN_SCORE = 3
_SCORED_PREFIX = 64
"""zxcvbn's cost grows fast with length: the first 64 characters are scored."""


@lru_cache(maxsize=1)
def _common() -> frozenset[str]:
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(word.lower() for word in FREQUENCY_LISTS["passwords"])


def _estimate(password: str, inputs: list[str]) -> dict[str, Any]:
    from zxcvbn import zxcvbn

    result: dict[str, Any] = zxcvbn(password[:_SCORED_PREFIX], user_inputs=inputs)
    return result


def check_password(password: str, *, username: str | None = None) -> None:
    """Refuse a password that breaks the policy, saying why; return nothing if it passes."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InputError(
            "password too short", {"password": f"at least {MIN_PASSWORD_LENGTH} characters"}
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        raise InputError(
            "password too long", {"password": f"at most {MAX_PASSWORD_LENGTH} characters"}
        )
    if password.lower() in _common():
        raise InputError(
            "common password",
            {"password": "is on a list of common or breached passwords; choose another"},
        )
    inputs = [username] if username else []
    result = _estimate(password, inputs)
    if int(result["score"]) < MIN_SCORE:
        feedback = result.get("feedback") or {}
        warning = str(feedback.get("warning") or "").strip()
        hint = warning.rstrip(".") if warning else "too easy to guess"
        raise InputError(
            "weak password",
            {"password": f"{hint}; use a longer passphrase of unrelated words"},
        )
