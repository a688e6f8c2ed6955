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
    """Pick the situation; recent runs can be continued."""
    return render(
        request,
        "home.html",
        {"protocols": list(load_protocols().values()), "runs": store.recent(8)},
    )
