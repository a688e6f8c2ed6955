"""Running a pathway: start, answer, acknowledge, undo, declare, the record; pages and API.

Every change is one call of the core (:class:`~stentguide.runs.Runs`), which
applies the engine and appends to the registry's run log; the routes only map
HTTP to it. Pages follow POST-redirect-GET, so a reload in the middle of a run
shows the same step and never repeats an answer.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Form, Query, Request
from markupsafe import Markup
from pydantic import BaseModel, ConfigDict, Field
from starlette.datastructures import FormData
from starlette.responses import HTMLResponse, RedirectResponse, Response

from stentguide.devices import list_devices
from stentguide.errors import InputError, SessionError, UnknownNameError
from stentguide.protocols import Protocol, Session, get_protocol, load_protocols, render_record
from stentguide.protocols.model import FactValue
from stentguide.runs import Runs
from stentguide.web.deps import runs
from stentguide.web.flowchart import protocol_svg
from stentguide.web.navigation import NavLink
from stentguide.web.routes.protocols import protocol_or_404
from stentguide.web.run_access import Operator, OperatorForm, Reader
from stentguide.web.run_page import run_extras
from stentguide.web.templating import render
from stentguide.web.views import SessionView, protocol_roles, session_view, sources_view

router = APIRouter()
NAV = (NavLink(10, "Run a pathway", "/runs/new"),)

Store = Annotated[Runs, Depends(runs)]


# ---------------------------------------------------------------------- JSON API


class CaseIn(BaseModel):
    """Facts and devices (role -> catalogue name or generic description) declared for a run."""

    model_config = ConfigDict(extra="forbid")

    facts: dict[str, FactValue] = Field(default_factory=dict)
    devices: dict[str, Annotated[str, Field(min_length=1, max_length=200)]] = Field(
        default_factory=dict
    )


class StartIn(BaseModel):
    """Start a pathway."""

    model_config = ConfigDict(extra="forbid")

    protocol_id: str = Field(min_length=1, max_length=64)
    case: CaseIn = Field(default_factory=CaseIn)


class AnswerIn(BaseModel):
    """Answer the current step (an answer id, or a number for a numeric question)."""

    model_config = ConfigDict(extra="forbid")

    node: str = Field(min_length=1, max_length=64, description="The step being answered.")
    answer: str | float = Field(description="Answer id, or a number for a numeric question.")
    acknowledge: list[str] | Literal["all"] | None = Field(
        default=None, description="Key messages read and acted on, recorded first."
    )


class AcknowledgeIn(BaseModel):
    """Acknowledge key messages of the current step."""

    model_config = ConfigDict(extra="forbid")

    node: str = Field(min_length=1, max_length=64)
    key_messages: list[str] | Literal["all"]


class UndoIn(BaseModel):
    """Step back over the last answer."""

    model_config = ConfigDict(extra="forbid")

    reason: str | None = Field(default=None, max_length=500)


class DeclareIn(CaseIn):
    """Declare or change devices and facts mid-run."""


def _session_json(session: Session, status_code: int = 200) -> Response:
    """The session's view as JSON, serialised once here.

    The bytes are those FastAPI makes from the ``SessionView`` response model (the
    same pydantic serialiser, by alias); returning them directly skips its second
    validation of the view, which for a plain function also took a worker thread.
    """
    body = session_view(session).model_dump_json(by_alias=True)
    return Response(body, status_code=status_code, media_type="application/json")


@router.post("/api/sessions", status_code=201, response_model=SessionView, tags=["sessions"])
def api_start(body: StartIn, store: Store, who: Operator) -> Response:
    """Start a pathway for a case; the session is stored at once."""
    protocol = _protocol_field(body.protocol_id)
    return _session_json(store.start(protocol, body.case.model_dump(), actor=who), 201)


def _protocol_field(protocol_id: str) -> Protocol:
    try:
        return get_protocol(protocol_id)
    except UnknownNameError as exc:
        raise InputError("unknown pathway", {"protocol_id": str(exc)}) from None


@router.get("/api/sessions/{run_id}", response_model=SessionView, tags=["sessions"])
def api_session(run_id: str, store: Store, _: Reader) -> Response:
    """The session: current step, options, checks, timeline and summary."""
    return _session_json(store.load(run_id))


@router.post("/api/sessions/{run_id}/answers", response_model=SessionView, tags=["sessions"])
def api_answer(run_id: str, body: AnswerIn, store: Store, who: Operator) -> Response:
    """Answer the current step and move on."""
    session = store.answer(
        run_id, body.node, body.answer, acknowledge=body.acknowledge, actor=who
    )
    return _session_json(session)


@router.post("/api/sessions/{run_id}/acknowledge", response_model=SessionView, tags=["sessions"])
def api_acknowledge(run_id: str, body: AcknowledgeIn, store: Store, who: Operator) -> Response:
    """Record key messages of the current step as read and acted on."""
    return _session_json(store.acknowledge(run_id, body.node, body.key_messages, actor=who))


@router.post("/api/sessions/{run_id}/undo", response_model=SessionView, tags=["sessions"])
def api_undo(run_id: str, body: UndoIn, store: Store, who: Operator) -> Response:
    """Undo the last answer (an ``undone`` event is appended; nothing is erased)."""
    return _session_json(store.undo(run_id, reason=body.reason, actor=who))


@router.post("/api/sessions/{run_id}/declare", response_model=SessionView, tags=["sessions"])
def api_declare(run_id: str, body: DeclareIn, store: Store, who: Operator) -> Response:
    """Declare devices or facts mid-run; the step's checks are re-run."""
    return _session_json(
        store.declare(run_id, devices=body.devices, facts=body.facts, actor=who)
    )


@router.get("/api/sessions/{run_id}/record", tags=["sessions"])
def api_record(run_id: str, store: Store, _: Reader) -> dict[str, Any]:
    """The whole timed record (format ``stentguide.session/1``), as stored."""
    return store.load(run_id).to_dict()


@router.get(
    "/api/sessions/{run_id}/flowchart.svg",
    tags=["sessions"],
    response_class=Response,
    responses={200: {"content": {"image/svg+xml": {}}}},
)
def api_session_flowchart(run_id: str, store: Store, _: Reader) -> Response:
    """The pathway's flowchart with this run's path and current step highlighted."""
    session = store.load(run_id)
    svg = protocol_svg(session.protocol, current=session.current.id, visited=session.path)
    return Response(svg, media_type="image/svg+xml")


# ---------------------------------------------------------------------- pages


def _device_names() -> list[str]:
    return [d.name for d in list_devices()]


def _case_from_form(form: FormData, protocol: Protocol) -> dict[str, Any]:
    devices = {
        key.removeprefix("device."): str(value).strip()
        for key, value in form.multi_items()
        if key.startswith("device.") and str(value).strip()
    }
    typed = {
        key.removeprefix("fact."): str(value)
        for key, value in form.multi_items()
        if key.startswith("fact.")
    }
    return {"devices": devices, "facts": protocol.parse_facts(typed)}


def _new_page(
    request: Request,
    protocol: Protocol | None,
    *,
    values: dict[str, str] | None = None,
    problems: dict[str, str] | None = None,
    status: int = 200,
) -> HTMLResponse:
    return render(
        request,
        "runs/new.html",
        {
            "protocol": protocol,
            "protocols": list(load_protocols().values()),
            "roles": protocol_roles(protocol) if protocol else [],
            "device_names": _device_names(),
            "values": values or {},
            "problems": problems or {},
        },
        status_code=status,
        title=f"Start: {protocol.title}" if protocol else "Start a pathway",
    )


@router.get("/runs/new", include_in_schema=False)
def new_run_page(
    request: Request, protocol: Annotated[str | None, Query(max_length=64)] = None
) -> HTMLResponse:
    """Declare the guide and devices, then start (or pick the pathway first)."""
    chosen = protocol_or_404(protocol) if protocol else None
    return _new_page(request, chosen)


@router.post("/runs", include_in_schema=False)
async def start_run(request: Request, store: Store, who: OperatorForm) -> Response:
    """Start the pathway from the form and go to its first step."""
    form = await request.form()
    protocol_id = str(form.get("protocol", "")).strip()
    if not protocol_id:
        raise InputError("choose the pathway", {"protocol": "required"})
    protocol = protocol_or_404(protocol_id)
    values = {k: str(v) for k, v in form.multi_items()}
    try:
        session = store.start(protocol, _case_from_form(form, protocol), actor=who)
    except InputError as exc:
        return _new_page(request, protocol, values=values, problems=exc.problems, status=422)
    return RedirectResponse(f"/runs/{session.session_id}", status_code=303)


def _run_page(
    request: Request,
    session: Session,
    *,
    error: str | None = None,
    problems: dict[str, str] | None = None,
    status: int = 200,
) -> HTMLResponse:
    view = session_view(session)
    step = view.step
    keys = list(step.sources)
    keys += [k for p in step.parameters for k in p.sources]
    keys += [k for c in step.device_checks for k in c.sources]
    svg = protocol_svg(session.protocol, current=session.current.id, visited=session.path)
    return render(
        request,
        "runs/run.html",
        {
            "view": view,
            "step": step,
            "protocol": session.protocol,
            "svg": Markup(svg),
            "sources": sources_view(keys),
            "roles": protocol_roles(session.protocol),
            "device_names": _device_names(),
            "error": error,
            "problems": problems or {},
            **run_extras(request, session).context(),
        },
        status_code=status,
        title=f"{step.title} · {session.protocol.title}",
    )


@router.get("/runs/{run_id}", include_in_schema=False)
def run_page(request: Request, run_id: str, store: Store, _: Reader) -> HTMLResponse:
    """The current step, its key messages and checks, the timeline and the flowchart."""
    return _run_page(request, store.load(run_id))


def _redirect(run_id: str) -> RedirectResponse:
    return RedirectResponse(f"/runs/{run_id}#step", status_code=303)


class AnswerForm(BaseModel):
    """The step page's answer form: the button pressed (or number typed), the ticked messages."""

    node: str = Field(default="", max_length=64)
    answer: str = Field(default="", max_length=64)
    ack: list[Annotated[str, Field(max_length=64)]] = Field(default_factory=list, max_length=32)


class UndoForm(BaseModel):
    """The undo button, with an optional reason."""

    reason: str = Field(default="", max_length=500)


@dataclass(frozen=True)
class RunPost:
    """An operator's form posted to one run: what the step page's handlers share."""

    request: Request
    run_id: str
    store: Runs
    who: str

    def refused(self, exc: InputError | SessionError) -> HTMLResponse:
        """The step page again, saying why nothing was recorded (422 bad input, 409 stale)."""
        session = self.store.load(self.run_id)
        if isinstance(exc, InputError):
            return _run_page(
                self.request, session, error=str(exc), problems=exc.problems, status=422
            )
        return _run_page(self.request, session, error=f"Not recorded: {exc}.", status=409)

    def record(self, change: Callable[[], object]) -> Response:
        """Make ``change`` to the run: back to its step, or the step page saying why not."""
        try:
            change()
        except (InputError, SessionError) as exc:
            return self.refused(exc)
        return _redirect(self.run_id)


def _run_post(request: Request, run_id: str, store: Store, who: OperatorForm) -> RunPost:
    return RunPost(request, run_id, store, who)


Posted = Annotated[RunPost, Depends(_run_post)]


@router.post("/runs/{run_id}/answer", include_in_schema=False)
def answer_page(form: Annotated[AnswerForm, Form()], post: Posted) -> Response:
    """Record the button pressed (or the number typed), with the ticked key messages."""
    answer = form.answer.strip()
    if not answer:
        return post.refused(InputError("Choose an answer.", {"answer": "required"}))
    ack = form.ack or None
    return post.record(
        lambda: post.store.answer(post.run_id, form.node, answer, acknowledge=ack, actor=post.who)
    )


@router.post("/runs/{run_id}/acknowledge", include_in_schema=False)
def acknowledge_page(form: Annotated[AnswerForm, Form()], post: Posted) -> Response:
    """Acknowledge the ticked key messages without answering."""
    if not form.ack:
        exc = InputError("Tick the key messages you have read and acted on.", {"ack": "required"})
        return post.refused(exc)
    return post.record(
        lambda: post.store.acknowledge(post.run_id, form.node, form.ack, actor=post.who)
    )


@router.post("/runs/{run_id}/undo", include_in_schema=False)
def undo_page(form: Annotated[UndoForm, Form()], post: Posted) -> Response:
    """Undo the last answer."""
    reason = form.reason.strip() or "undone on the web page"
    try:
        post.store.undo(post.run_id, reason=reason, actor=post.who)
    except SessionError as exc:
        session = post.store.load(post.run_id)
        return _run_page(post.request, session, error=f"Nothing undone: {exc}.", status=409)
    return _redirect(post.run_id)


@router.post("/runs/{run_id}/declare", include_in_schema=False)
async def declare_page(post: Posted) -> Response:
    """Declare or change devices mid-run."""
    form = await post.request.form()
    try:
        case = _case_from_form(form, post.store.load(post.run_id).protocol)
        post.store.declare(
            post.run_id, devices=case["devices"], facts=case["facts"], actor=post.who
        )
    except InputError as exc:
        return post.refused(exc)
    return _redirect(post.run_id)


@router.post("/runs/{run_id}/continue", include_in_schema=False)
def continue_page(run_id: str, store: Store, who: OperatorForm) -> Response:
    """Start the pathway a changed-pathway outcome points to, with the same case."""
    following = store.continue_run(run_id, actor=who)
    return RedirectResponse(f"/runs/{following.session_id}", status_code=303)


@router.get("/runs/{run_id}/record", include_in_schema=False)
def record_page(request: Request, run_id: str, store: Store, _: Reader) -> HTMLResponse:
    """The whole timed record as a printable page."""
    session = store.load(run_id)
    view = session_view(session)
    return render(
        request,
        "runs/record.html",
        {"view": view, "protocol": session.protocol, "session": session},
        title=f"Record · {session.protocol.title}",
    )


@router.get("/runs/{run_id}/record.json", include_in_schema=False)
def record_json(run_id: str, store: Store, _: Reader) -> Response:
    """The record as a JSON download (format ``stentguide.session/1``)."""
    session = store.load(run_id)
    body = {"summary": session.summary(), "session": session.to_dict()}
    return Response(
        json.dumps(body, indent=2, ensure_ascii=False),
        media_type="application/json",
        headers={"Content-Disposition": f'attachment; filename="stentguide-{run_id}.json"'},
    )


@router.get("/runs/{run_id}/record.txt", include_in_schema=False)
def record_text(run_id: str, store: Store, _: Reader) -> Response:
    """The record as plain text, as the command line prints it."""
    session = store.load(run_id)
    return Response(
        render_record(session),
        media_type="text/plain; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="stentguide-{run_id}.txt"'},
    )
