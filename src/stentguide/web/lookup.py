"""The one way a route finds what its path names, or answers 404.

The core says "not stored" with :class:`stentguide.errors.NotFoundError` (a run,
a case, an attempt) and "no such name" with
:class:`~stentguide.errors.UnknownNameError` (a protocol, a device, a training
case); :func:`find_or_404` turns the second into the first with its close names,
and the error handlers (:mod:`stentguide.web.errors`) answer both with 404.
:func:`in_path` makes a FastAPI dependency of a lookup, so a route takes the
thing itself::

    CaseInPath = Annotated[StoredCase, Depends(in_path("case", "uid", stored_case))]

    @router.get("/cases/{uid}")
    def case_page(case: CaseInPath) -> ...
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Annotated, TypeVar

from fastapi import Depends, Request

from stentguide.cases import StoredCase
from stentguide.errors import UnknownNameError
from stentguide.protocols import Protocol, get_protocol
from stentguide.training import StoredAttempt, TrainingCase, get_case
from stentguide.training.store import AttemptStore
from stentguide.web.deps import registry
from stentguide.web.errors import NotFoundError

__all__ = [
    "AttemptInPath",
    "CaseInPath",
    "ProtocolInPath",
    "TrainingCaseInPath",
    "find_or_404",
    "in_path",
]

T = TypeVar("T")


def find_or_404(kind: str, name: str, fetch: Callable[[str], T]) -> T:
    """``fetch(name)``; an unknown name becomes a 404 naming the close ones."""
    try:
        return fetch(name)
    except UnknownNameError as exc:
        raise NotFoundError(kind, name, exc.suggestions) from None


def in_path(kind: str, param: str, fetch: Callable[[Request, str], T]) -> Callable[..., T]:
    """A dependency giving what the path parameter ``param`` names, through ``fetch``."""

    def dependency(request: Request, **path: str) -> T:
        return find_or_404(kind, path[param], lambda name: fetch(request, name))

    keyword = inspect.Parameter.KEYWORD_ONLY
    dependency.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [
            inspect.Parameter("request", keyword, annotation=Request),
            inspect.Parameter(param, keyword, annotation=str),
        ]
    )
    dependency.__name__ = f"{kind.replace(' ', '_')}_in_path"
    return dependency


def _protocol(_request: Request, protocol_id: str) -> Protocol:
    return get_protocol(protocol_id)


def _case(request: Request, uid: str) -> StoredCase:
    return registry(request).cases.get(uid)


def _training_case(_request: Request, case_id: str) -> TrainingCase:
    return get_case(case_id)


def _attempt(request: Request, attempt_id: str) -> StoredAttempt:
    return AttemptStore(registry(request).engine).get(attempt_id)


ProtocolInPath = Annotated[Protocol, Depends(in_path("protocol", "protocol_id", _protocol))]
CaseInPath = Annotated[StoredCase, Depends(in_path("case", "uid", _case))]
TrainingCaseInPath = Annotated[
    TrainingCase, Depends(in_path("training case", "case_id", _training_case))
]
AttemptInPath = Annotated[StoredAttempt, Depends(in_path("attempt", "attempt_id", _attempt))]
