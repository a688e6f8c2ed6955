"""At the table: stop a run now, attach it to a case, and the team display.

``/runs/{id}/display`` is a read-only, large-type view of the current step for
the room's monitor. It follows a run live through server-sent events
(``/runs/{id}/display/events``): each stream asks the run log a few times a
second whether the run has an event after the last one it sent
(:meth:`~stentguide.cases.run_log.RunLog.last_seq`, one primary-key query),
and sends the re-drawn step when it has. No state lives in a server process,
so the view follows answers made through any worker, on SQLite or PostgreSQL.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool
from starlette.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse

from stentguide.errors import SessionError
from stentguide.protocols import Session
from stentguide.runs import Runs
from stentguide.web.deps import runs
from stentguide.web.run_access import OperatorForm, Reader
from stentguide.web.run_page import run_extras
from stentguide.web.templating import render
from stentguide.web.views import session_view

router = APIRouter()

Store = Annotated[Runs, Depends(runs)]

POLL_SECONDS = 0.25
"""How often a display stream asks the run log whether the run changed."""
STREAM_SECONDS = 300.0
"""A stream ends after this long; the browser reconnects at once (EventSource does)."""


class StopForm(BaseModel):
    reason: str = Field(default="", max_length=500)


class AttachForm(BaseModel):
    case_uid: str = Field(default="", max_length=64)


@router.post("/runs/{run_id}/stop", include_in_schema=False)
def stop_page(
    run_id: str, form: Annotated[StopForm, Form()], store: Store, who: OperatorForm
) -> Response:
    """Stop the run now at its current step (undo resumes it)."""
    with contextlib.suppress(SessionError):  # already stopped or ended: the page shows it
        store.stop(run_id, reason=form.reason.strip() or "stopped on the step page", actor=who)
    return RedirectResponse(f"/runs/{run_id}#step", status_code=303)


@router.post("/runs/{run_id}/attach", include_in_schema=False)
def attach_page(
    run_id: str, form: Annotated[AttachForm, Form()], store: Store, who: OperatorForm
) -> Response:
    """Attach the run to the registry case chosen in the list."""
    if form.case_uid:
        store.attach(run_id, form.case_uid, actor=who)
    return RedirectResponse(f"/runs/{run_id}#case", status_code=303)


def _display_context(request: Request, session: Session) -> dict[str, object]:
    view = session_view(session)
    return {
        "view": view,
        "step": view.step,
        "protocol": session.protocol,
        "seq": session.events[-1].seq if session.events else -1,
        "started_at": session.events[0].at.isoformat() if session.events else "",
        **run_extras(request, session, with_cases=False).context(),
    }


def _panel(request: Request, session: Session) -> str:
    template = request.app.state.templates.get_template("runs/_display_panel.html")
    return str(template.render(_display_context(request, session)))


@router.get("/runs/{run_id}/display", include_in_schema=False)
def display_page(request: Request, run_id: str, store: Store, _: Reader) -> HTMLResponse:
    """The team display: the current step in large type, updated live."""
    session = store.load(run_id)
    return render(
        request,
        "runs/display.html",
        {**_display_context(request, session), "panel_template": "runs/_display_panel.html"},
        title=f"Display · {session.protocol.title}",
    )


@router.get("/runs/{run_id}/display/events", include_in_schema=False)
async def display_events(
    request: Request, run_id: str, store: Store, _: Reader, seq: int = -1
) -> StreamingResponse:
    """Server-sent events: the re-drawn step each time the run log has a newer event."""
    first = await run_in_threadpool(store.load, run_id)  # 404 before the stream starts
    sent = seq

    async def stream() -> AsyncIterator[str]:
        nonlocal sent
        session: Session | None = first
        ends = time.monotonic() + STREAM_SECONDS
        yield "retry: 500\n\n"
        while time.monotonic() < ends:
            if await request.is_disconnected():
                return
            if session is None:
                last = await run_in_threadpool(store.last_seq, run_id)
                if last > sent:
                    session = await run_in_threadpool(store.load, run_id)
            if session is not None:
                newest = session.events[-1].seq if session.events else -1
                if newest > sent:
                    html = _panel(request, session)
                    yield f"event: step\ndata: {json.dumps({'seq': newest, 'html': html})}\n\n"
                    sent = newest
                session = None
            await asyncio.sleep(POLL_SECONDS)

    headers = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
    return StreamingResponse(stream(), media_type="text/event-stream", headers=headers)
