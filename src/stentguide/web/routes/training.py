"""Training mode: the case library, the play-through and the debrief; pages and JSON API.

Every decision is the core's (:mod:`stentguide.training`): this module only
turns forms into :meth:`Play.choose` calls and shows the result. A play in
progress travels with the page as its serialised record (the same format the
Python API resumes with :meth:`Play.from_dict`), so nothing is kept in the
server between choices; a finished play is scored with the one scoring model,
stored in the registry database, and the browser is redirected to its debrief
(POST-redirect-GET, so a reload never stores an attempt twice).

Playing needs no login (teaching mode: the cases are invented and hold no
patient data). Stored attempts and scores do: listing or reading them, and a
trainee's progress, need a login; the browser that has just finished a play
gets its own debrief through a signed key in the redirect, valid for that one
attempt for the session lifetime.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.responses import HTMLResponse, RedirectResponse, Response

from stentguide import training
from stentguide.cases import Registry
from stentguide.cases.users import Role
from stentguide.errors import InputError
from stentguide.references import reference
from stentguide.training.debrief import expert_steps
from stentguide.training.store import validate_trainee
from stentguide.web.auth import Login, require, token_signer
from stentguide.web.deps import registry
from stentguide.web.lookup import AttemptInPath, TrainingCaseInPath, find_or_404
from stentguide.web.navigation import NavLink
from stentguide.web.templating import render

_PLAY_SEAL = "training-play"
"""The play in progress travels in the page, signed so that a trainee cannot edit it."""
_DEBRIEF_SEAL = "training-debrief"
"""The key that lets the browser that finished a play read its debrief without a login."""

router = APIRouter()
NAV = (NavLink(50, "Training", "/training"),)

Reg = Annotated[Registry, Depends(registry)]
Viewer = Annotated[Login, Depends(require(Role.viewer))]


def _store(reg: Registry) -> training.AttemptStore:
    return training.AttemptStore(reg.engine)


# ---------------------------------------------------------------------- JSON API


class CaseSummary(BaseModel):
    """One case of the library."""

    id: str
    version: str
    title: str
    pathway: str
    summary: str


class ScoreIn(BaseModel):
    """A path through a case: choice ids in order from the start."""

    model_config = ConfigDict(extra="forbid")

    case_id: str = Field(min_length=1, max_length=64)
    choices: list[Annotated[str, Field(min_length=1, max_length=64)]] = Field(max_length=200)


@router.get("/api/training/cases", tags=["training"])
def api_cases() -> list[CaseSummary]:
    """The case library."""
    return [
        CaseSummary(id=c.id, version=c.version, title=c.title, pathway=c.pathway, summary=c.summary)
        for c in training.load_cases().values()
    ]


@router.get("/api/training/cases/{case_id}", tags=["training"])
def api_case(case: TrainingCaseInPath) -> training.TrainingCase:
    """A case as data: setting, moments, choices, ends, teaching points, sources."""
    return case


@router.post("/api/training/score", tags=["training"])
def api_score(body: ScoreIn) -> training.Score:
    """Score a path with the scoring model the CLI and the pages use."""
    case = training.get_case(body.case_id)
    return training.score_path(case, training.play_choices(case, body.choices).path)


@router.get("/api/training/attempts", tags=["training"])
def api_attempts(
    reg: Reg,
    _login: Viewer,
    trainee: Annotated[str | None, Query(max_length=64)] = None,
    case: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=0, le=1000)] = 100,
) -> list[training.StoredAttempt]:
    """Stored attempts, newest first, for a trainee and/or a case."""
    return _store(reg).list_attempts(trainee_id=trainee, case_id=case, limit=limit)


@router.get("/api/training/attempts/{attempt_id}", tags=["training"])
def api_attempt(_login: Viewer, attempt: AttemptInPath) -> training.StoredAttempt:
    """One stored attempt with its choices, timestamps and score breakdown."""
    return attempt


# ---------------------------------------------------------------------- pages


@router.get("/training", include_in_schema=False)
def library_page(
    request: Request, reg: Reg, trainee: Annotated[str | None, Query(max_length=64)] = None
) -> HTMLResponse:
    """The case library, with a trainee's progress when ``trainee`` is given."""
    progress: dict[str, Any] = {}
    attempts: list[training.StoredAttempt] = []
    who = trainee.strip() if trainee else None
    if who:
        require(Role.viewer)(request)
        store = _store(reg)
        progress = {row.case_id: row for row in store.progress(who)}
        attempts = store.list_attempts(trainee_id=who, limit=20)
    return render(
        request,
        "training/library.html",
        {
            "cases": list(training.load_cases().values()),
            "trainee": who or "",
            "progress": progress,
            "attempts": attempts,
        },
        title="Training cases",
    )


@router.get("/training/cases/{case_id}", include_in_schema=False)
def case_page(
    request: Request,
    case: TrainingCaseInPath,
    trainee: Annotated[str | None, Query(max_length=64)] = None,
) -> HTMLResponse:
    """The case's setting and the form to start it."""
    return render(
        request,
        "training/case.html",
        {"case": case, "trainee": trainee or "", "problems": {}},
        title=case.title,
    )


def _play_page(request: Request, play: training.Play, trainee: str) -> HTMLResponse:
    made = play.choices
    return render(
        request,
        "training/play.html",
        {
            "case": play.case,
            "moment": play.current,
            "last": made[-1] if made else None,
            "step_number": len(made) + 1,
            "state": token_signer(request.app).seal(play.to_dict(), _PLAY_SEAL),
            "trainee": trainee,
        },
        title=f"{play.case.title} · {play.current.title}",
    )


@router.post("/training/cases/{case_id}/start", include_in_schema=False)
async def start_play(request: Request, case: TrainingCaseInPath) -> Response:
    """Open the case at its first moment; the trainee id is required."""
    form = await request.form()
    raw = str(form.get("trainee", ""))
    try:
        trainee = validate_trainee(raw)
    except InputError as exc:
        return render(
            request,
            "training/case.html",
            {"case": case, "trainee": raw, "problems": exc.problems},
            status_code=422,
            title=case.title,
        )
    return _play_page(request, training.begin(case), trainee)


@router.post("/training/cases/{case_id}/choose", include_in_schema=False)
async def choose(request: Request, case: TrainingCaseInPath, reg: Reg) -> Response:
    """Apply one choice; at an end, store the attempt and go to its debrief."""
    form = await request.form()
    trainee = validate_trainee(str(form.get("trainee", "")))
    choice_id = str(form.get("choice", "")).strip()
    if not choice_id:
        raise InputError("choose what to do", {"choice": "required"})
    state = token_signer(request.app).unseal(str(form.get("state", "")), _PLAY_SEAL)
    if not isinstance(state, dict):
        raise InputError("the play record is damaged or expired", {"state": "not signed here"})
    play = training.Play.from_dict(state, case=case).choose(choice_id)
    if play.end is None:
        return _play_page(request, play, trainee)
    stored = _store(reg).save(trainee, training.debrief(play))
    key = token_signer(request.app).seal(stored.id, _DEBRIEF_SEAL)
    return RedirectResponse(
        f"/training/attempts/{stored.id}?{urlencode({'key': key})}", status_code=303
    )


def _reading(case: training.TrainingCase) -> list[dict[str, str]]:
    return [{"key": k, "citation": reference(k).citation()} for k in case.sources]


@router.get("/training/attempts/{attempt_id}", include_in_schema=False)
def debrief_page(request: Request, attempt_id: str, reg: Reg) -> HTMLResponse:
    """The debrief of a stored attempt: both paths, key messages, score, time, reading.

    It needs a login, or the key given to the browser that finished the play.
    """
    key = request.query_params.get("key", "")
    if token_signer(request.app).unseal(key, _DEBRIEF_SEAL) != attempt_id:
        require(Role.viewer)(request)
    attempt = find_or_404("attempt", attempt_id, _store(reg).get)
    case = find_or_404("training case", attempt.case_id, training.get_case)
    score = training.Score.model_validate(attempt.score)
    trainee_steps = []
    for item in attempt.choices:
        moment = case.moment(str(item["moment"]))
        choice = moment.choice(str(item["choice"])) if moment else None
        if moment is not None and choice is not None:
            trainee_steps.append({"moment": moment, "choice": choice, "at": item.get("at")})
    end = case.end(attempt.end_id)
    return render(
        request,
        "training/debrief.html",
        {
            "attempt": attempt,
            "case": case,
            "same_version": attempt.case_version == case.version,
            "end": end,
            "score": score,
            "trainee_steps": trainee_steps,
            "expert": expert_steps(case),
            "reading": _reading(case),
        },
        title=f"Debrief · {case.title}",
    )
