"""The navigation bar: each routes module may declare the links it adds.

A routes module under :mod:`stentguide.web.routes` exposes ``router`` (a FastAPI
``APIRouter``) and, optionally, ``NAV``: a tuple of :class:`NavLink`. The app
factory gathers every module's links and sorts them by ``order``.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["NavLink"]


@dataclass(frozen=True, order=True)
class NavLink:
    """One entry of the navigation bar."""

    order: int
    label: str
    href: str
