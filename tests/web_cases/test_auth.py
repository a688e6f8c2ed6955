"""Login, roles, CSRF and session expiry against a live server."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest

from stentguide.cases.users import UserStore
from tests.web_cases.conftest import PASSWORD, Live, csrf_of, login, serve


def test_registry_pages_send_an_anonymous_visitor_to_the_login_form(
    anonymous: httpx.Client,
) -> None:
    for path in ("/cases", "/quality", "/cases/new", "/cases/export/csv", "/account", "/users"):
        answer = anonymous.get(path)
        assert answer.status_code == 303, path
        assert answer.headers["location"].startswith("/login?next=")
    assert anonymous.get("/cases?operator=dr-a").headers["location"] == (
        "/login?next=%2Fcases%3Foperator%3Ddr-a"
    )


def test_pathways_calculators_and_leaflets_need_no_login(anonymous: httpx.Client) -> None:
    for path in ("/", "/protocols", "/devices", "/scores", "/leaflets", "/runs/new", "/login"):
        assert anonymous.get(path).status_code == 200, path


def test_login_sets_a_protected_cookie_and_goes_where_the_user_was_going(live: Live) -> None:
    with httpx.Client(base_url=live.url, follow_redirects=False, timeout=60) as client:
        page = client.get("/login?next=/quality")
        answer = client.post(
            "/login",
            data={
                "csrf_token": csrf_of(page.text),
                "username": "vera",
                "password": PASSWORD,
                "next": "/quality",
            },
        )
        assert answer.status_code == 303
        assert answer.headers["location"] == "/quality"
        cookie = answer.headers["set-cookie"].lower()
        assert "stentguide_session=" in cookie
        assert "httponly" in cookie
        assert "samesite=lax" in cookie
        assert client.get("/quality").status_code == 200


def test_login_refuses_a_wrong_password_without_saying_which_part_was_wrong(
    anonymous: httpx.Client,
) -> None:
    wrong = login(anonymous, "vera", "not the password")
    unknown = login(anonymous, "nobody", PASSWORD)
    assert wrong.status_code == unknown.status_code == 401
    assert "Wrong username or password" in wrong.text
    assert "Wrong username or password" in unknown.text
    assert anonymous.get("/cases").status_code == 303


def test_login_names_each_missing_field(anonymous: httpx.Client) -> None:
    page = anonymous.get("/login")
    answer = anonymous.post(
        "/login", data={"csrf_token": csrf_of(page.text), "username": "", "password": ""}
    )
    assert answer.status_code == 422
    assert 'id="err-username"' in answer.text
    assert 'id="err-password"' in answer.text


def test_login_form_without_its_csrf_token_is_refused(anonymous: httpx.Client) -> None:
    anonymous.get("/login")
    answer = anonymous.post("/login", data={"username": "vera", "password": PASSWORD})
    assert answer.status_code == 403
    assert "security token" in answer.text


def test_login_redirect_stays_on_this_site(anonymous: httpx.Client) -> None:
    page = anonymous.get("/login")
    answer = anonymous.post(
        "/login",
        data={
            "csrf_token": csrf_of(page.text),
            "username": "vera",
            "password": PASSWORD,
            "next": "//evil.example/steal",
        },
    )
    assert answer.status_code == 303
    assert answer.headers["location"] == "/cases"


def test_viewer_reads_but_cannot_change(live: Live, viewer: httpx.Client) -> None:
    assert viewer.get("/cases").status_code == 200
    assert viewer.get("/quality").status_code == 200
    assert viewer.get("/cases/new").status_code == 403
    assert viewer.get("/cases/import").status_code == 403
    assert viewer.get("/users").status_code == 403
    case = live.registry.cases.find(limit=1)[0]
    page = viewer.get(f"/cases/{case.uid}")
    assert page.status_code == 200
    assert f'href="/cases/{case.uid}/edit"' not in page.text
    answer = viewer.post(
        f"/cases/{case.uid}/edit",
        data={"csrf_token": csrf_of(page.text), "version": str(case.version), "outcome": "x"},
    )
    assert answer.status_code == 403
    assert "needs the operator role" in answer.text
    assert live.registry.cases.get(case.uid).version == case.version


def _edit_form(live: Live, uid: str) -> dict[str, str]:
    case = live.registry.cases.get(uid)
    form = {
        "patient_id": case.patient_id,
        "procedure_date": case.procedure_date.isoformat(),
        "operator": case.operator,
        "access": case.access.value,
        "outcome": case.outcome or "",
        "devices": "\n".join(f"{k}: {v}" for k, v in case.devices.items()),
        "version": str(case.version),
    }
    for i, lesion in enumerate(case.lesions):
        form[f"lesion-{i}-vessel"] = lesion.vessel.value
    for i, comp in enumerate(case.complications):
        form[f"complication-{i}-kind"] = comp.kind.value
        if comp.technique is not None:
            form[f"complication-{i}-technique"] = comp.technique.value
            form[f"complication-{i}-success"] = "yes" if comp.success else "no"
    return form


def test_case_edit_without_or_with_a_foreign_csrf_token_is_refused(
    live: Live, operator: httpx.Client, viewer: httpx.Client
) -> None:
    case = live.registry.cases.find(limit=1)[0]
    form = {**_edit_form(live, case.uid), "outcome": "changed"}
    missing = operator.post(f"/cases/{case.uid}/edit", data=form)
    assert missing.status_code == 403
    assert "no security token" in missing.text
    foreign = csrf_of(viewer.get("/cases").text)
    wrong = operator.post(f"/cases/{case.uid}/edit", data={**form, "csrf_token": foreign})
    assert wrong.status_code == 403
    assert "wrong or out of date" in wrong.text
    forged = operator.post(f"/cases/{case.uid}/edit", data={**form, "csrf_token": "x.y.z"})
    assert forged.status_code == 403
    assert live.registry.cases.get(case.uid).version == case.version


def test_an_edit_is_in_the_audit_log_with_the_username(live: Live, operator: httpx.Client) -> None:
    case = live.registry.cases.find(limit=1)[0]
    page = operator.get(f"/cases/{case.uid}/edit")
    form = {**_edit_form(live, case.uid), "outcome": "audited", "csrf_token": csrf_of(page.text)}
    answer = operator.post(f"/cases/{case.uid}/edit", data=form)
    assert answer.status_code == 303
    assert answer.headers["location"] == f"/cases/{case.uid}?saved=1"
    stored = live.registry.cases.get(case.uid)
    assert stored.outcome == "audited"
    assert stored.updated_by == "otto"
    entry = live.registry.audit.entries(entity="case", entity_id=case.uid, limit=1)[0]
    assert (entry.actor, entry.action) == ("otto", "update")
    assert entry.detail["changed"]["outcome"][1] == "audited"
    shown = operator.get(f"/cases/{case.uid}").text
    assert "otto" in shown
    assert "update: outcome" in shown


def test_a_run_started_while_logged_in_is_audited_with_the_username(
    live: Live, operator: httpx.Client, anonymous: httpx.Client
) -> None:
    body = {
        "protocol_id": "stent-loss-wire-in-place",
        "case": {"devices": {"guide": "Launcher 6F"}},
    }
    mine = operator.post("/api/sessions", json=body)
    theirs = anonymous.post("/api/sessions", json=body)
    assert mine.status_code == 201
    assert theirs.status_code == 401  # runs are patient data: no run without a login
    run_id = mine.json()["session_id"]
    assert live.registry.audit.entries(entity="run", entity_id=run_id, limit=1)[0].actor == "otto"


def test_logout_ends_the_session(live: Live) -> None:
    with httpx.Client(base_url=live.url, follow_redirects=False, timeout=60) as client:
        assert login(client, "vera").status_code == 303
        token = csrf_of(client.get("/account").text)
        answer = client.post("/logout", data={"csrf_token": token})
        assert answer.status_code == 303
        assert answer.headers["location"] == "/login?logged_out=1"
        assert client.get("/cases").status_code == 303


def test_a_deactivated_user_is_logged_out_at_the_next_request(live: Live) -> None:
    users = UserStore(live.registry)
    users.create("temp-user", PASSWORD, "viewer", actor="test")
    with httpx.Client(base_url=live.url, follow_redirects=False, timeout=60) as client:
        assert login(client, "temp-user").status_code == 303
        assert client.get("/cases").status_code == 200
        users.set_active("temp-user", False, actor="test")
        answer = client.get("/cases")
        assert answer.status_code == 303
        assert "expired=1" in answer.headers["location"]


def test_admin_manages_users_and_each_bad_field_is_named(
    live: Live, admin: httpx.Client, operator: httpx.Client
) -> None:
    assert operator.get("/users").status_code == 403
    page = admin.get("/users")
    token = csrf_of(page.text)
    bad = admin.post(
        "/users", data={"csrf_token": token, "username": "has space", "role": "", "password": "x"}
    )
    assert bad.status_code == 422
    assert 'id="err-role"' in bad.text
    short = admin.post(
        "/users",
        data={"csrf_token": token, "username": "newbie", "role": "viewer", "password": "short"},
    )
    assert short.status_code == 422
    assert "at least 12 characters" in short.text
    made = admin.post(
        "/users",
        data={"csrf_token": token, "username": "newbie", "role": "viewer", "password": PASSWORD},
    )
    assert made.status_code == 303
    promoted = admin.post("/users/newbie/role", data={"csrf_token": token, "role": "operator"})
    assert promoted.status_code == 303
    assert UserStore(live.registry).get("newbie").role.value == "operator"
    entry = live.registry.audit.entries(entity="user", entity_id="newbie", limit=1)[0]
    assert (entry.actor, entry.action) == ("ada", "set_role")
    myself = admin.post("/users/ada/active", data={"csrf_token": token, "active": "false"})
    assert myself.status_code == 409


def test_an_expired_session_redirects_to_login(tmp_path: Path) -> None:
    with (
        serve(f"sqlite:///{tmp_path / 'expiry.sqlite'}", session_seconds=1) as live,
        httpx.Client(base_url=live.url, follow_redirects=False, timeout=60) as client,
    ):
        assert login(client, "vera").status_code == 303
        assert client.get("/cases").status_code == 200
        time.sleep(2.2)
        answer = client.get("/cases")
        assert answer.status_code == 303
        assert answer.headers["location"] == "/login?next=%2Fcases&expired=1"
        assert "stentguide_session" in answer.headers["set-cookie"]
        page = client.get(answer.headers["location"])
        assert "Your session has ended" in page.text
        assert client.get("/api/health").status_code == 200


@pytest.mark.parametrize("path", ["/cases/new", "/cases/import"])
def test_posting_without_login_goes_to_the_login_form(anonymous: httpx.Client, path: str) -> None:
    answer = anonymous.post(path, data={"patient_id": "P-9"})
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/login?next=")
