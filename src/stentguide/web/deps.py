"""Per-request access to what the app factory set up: the registry, the run store, the actor.

Route handlers take these through FastAPI's ``Depends`` so that a routes module
never reaches for globals, and a login layer can change :func:`actor` in one place.
"""

from __future__ import annotations

from fastapi import Request

from stentguide.cases import Registry
from stentguide.runs import Runs
from stentguide.web.settings import Settings

__all__ = ["ACTOR_STATE", "actor", "registry", "runs", "settings"]

ACTOR_STATE = "actor"
"""A middleware that authenticates a user sets ``request.state.actor`` to the username."""


def settings(request: Request) -> Settings:
    """The app's settings."""
    value: Settings = request.app.state.settings
    return value


def registry(request: Request) -> Registry:
    """The app's open registry."""
    value: Registry = request.app.state.registry
    return value


async def runs(request: Request) -> Runs:
    """Protocol runs, kept in the app's registry (async: no thread is taken to make it)."""
    return Runs(registry(request))


def actor(request: Request) -> str:
    """Who the audit log names for this request: the logged-in user, else the anonymous actor."""
    name = getattr(request.state, ACTOR_STATE, None)
    return name if isinstance(name, str) and name else settings(request).anonymous_actor
