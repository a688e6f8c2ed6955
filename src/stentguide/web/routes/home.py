"""The home page (pick the situation you are in) and the API's health check."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel
from starlette.responses import HTMLResponse

from stentguide import DISCLAIMER, __version__
from stentguide.protocols import load_protocols
from stentguide.runs import Runs
from stentguide.web.deps import runs
from stentguide.web.navigation import NavLink
from stentguide.web.run_page import case_label
from stentguide.web.templating import render

router = APIRouter()
NAV = (NavLink(0, "Home", "/"),)


class Health(BaseModel):
    """The app is up and answering."""

    status: str
    version: str
    disclaimer: str


@router.get("/api/health", tags=["meta"])
def health() -> Health:
    """A trivial answer, for monitoring and as the benchmarks' baseline."""
    return Health(status="ok", version=__version__, disclaimer=DISCLAIMER)


@router.get("/", include_in_schema=False)
def home(request: Request, store: Annotated[Runs, Depends(runs)]) -> HTMLResponse:
    """Pick the situation (one tap starts the run); recent runs, to a login, can be continued."""
    protocols = list(load_protocols().values())
    login = getattr(request.state, "login", None)
    recent = []
    if login is not None:  # runs are patient data: listed to a login only
        recent = [(r, case_label(store.registry, r.case_uid)) for r in store.recent(8)]
    return render(
        request,
        "home.html",
        {"protocols": protocols, "runs": recent, "titles": {p.id: p.title for p in protocols}},
    )
