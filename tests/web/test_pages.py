"""The pages without JavaScript: forms posted, redirects followed, the disclaimer everywhere."""

from __future__ import annotations

import re
import subprocess
import sys

import httpx
import pytest

from stentguide import DISCLAIMER
from stentguide.protocols import load_protocols

MAIN_PAGES = [
    "/",
    "/runs/new",
    "/runs/new?protocol=partial-stent-loss",
    "/protocols",
    "/protocols/stent-undeliverable",
    "/devices",
    "/scores",
    "/scores/precise-dapt",
    "/leaflets",
]


@pytest.mark.parametrize("path", MAIN_PAGES)
def test_every_page_shows_the_disclaimer(client: httpx.Client, path: str) -> None:
    r = client.get(path)
    assert r.status_code == 200
    assert DISCLAIMER in r.text
    assert 'name="viewport"' in r.text
    assert "/static/vendor/htmx.min.js" in r.text


def test_static_assets_are_served_by_the_app(client: httpx.Client) -> None:
    assert client.get("/static/app.css").status_code == 200
    htmx = client.get("/static/vendor/htmx.min.js")
    assert htmx.status_code == 200 and "htmx" in htmx.text[:200]


def test_home_starts_each_situation_in_one_tap(client: httpx.Client) -> None:
    text = client.get("/").text
    for protocol_id in load_protocols():
        assert f'name="protocol" value="{protocol_id}"' in text
        page = client.post("/runs", data={"protocol": protocol_id})
        assert page.status_code == 200 and re.search(r"/runs/[0-9a-f]{32}$", page.url.path)
        assert 'name="answer"' in page.text  # the first question or action, with its buttons


def test_runs_need_a_login_and_the_operator_role(
    client: httpx.Client, viewer: httpx.Client, anonymous: httpx.Client
) -> None:
    run = client.post("/runs", data={"protocol": "partial-stent-loss"}).url.path
    run_id = run.rsplit("/", 1)[1]
    home = anonymous.get("/")
    assert run_id not in home.text and "Recent runs" not in home.text
    for path in (run, f"{run}/record", f"{run}/display", f"/api/sessions/{run_id}"):
        refused = anonymous.get(path, follow_redirects=False)
        assert refused.status_code in (303, 401), path
        assert viewer.get(path).status_code == 200, path
    started = anonymous.post("/api/sessions", json={"protocol_id": "partial-stent-loss"})
    assert started.status_code == 401
    node = _step(client.get(run).text)[0]
    answer = {"node": node, "answer": "adequate"}
    assert viewer.post(f"/api/sessions/{run_id}/answers", json=answer).status_code == 403
    assert viewer.post(f"{run}/answer", data=answer).status_code == 403
    assert anonymous.post(f"/api/sessions/{run_id}/undo", json={}).status_code == 401
    forged = client.post(f"{run}/answer", data={**answer, "csrf_token": "forged"})
    assert forged.status_code == 403
    assert client.get(run).text.count('name="answer" value="adequate"') == 1
    assert "Recent runs" in client.get("/").text and "olga" in client.get("/").text


def _step(html: str) -> tuple[str, list[str]]:
    node = re.search(r'name="node" value="([^"]+)"', html)
    return (node.group(1) if node else ""), re.findall(r'name="answer" value="([^"]+)"', html)


def test_a_pathway_by_form_posts_to_the_record(client: httpx.Client) -> None:
    r = client.post(
        "/runs",
        data={"protocol": "stent-loss-no-wire", "device.guide": "Launcher 6F"},
        follow_redirects=False,
    )
    assert r.status_code == 303
    run = r.headers["location"]
    page = client.get(run).text
    visited = 0
    while "Printable record" not in page:
        node, answers = _step(page)
        assert answers, page[:500]
        acks = re.findall(r'name="ack" value="([^"]+)"', page)
        r = client.post(f"{run}/answer", data={"node": node, "answer": answers[0], "ack": acks})
        assert r.status_code == 200
        page = r.text
        visited += 1
        assert visited < 60
    assert "fc-current" in page
    record = client.get(f"{run}/record")
    assert record.status_code == 200 and "Outcome" in record.text
    download = client.get(f"{run}/record.json")
    assert download.headers["content-disposition"].startswith("attachment")
    assert download.json()["session"]["format"] == "stentguide.session/1"


def test_a_bad_device_is_shown_beside_its_field(client: httpx.Client) -> None:
    r = client.post("/runs", data={"protocol": "partial-stent-loss", "device.guide": "Lancher 6F"})
    assert r.status_code == 422
    assert "did you mean Launcher 6F" in r.text
    assert 'aria-invalid="true"' in r.text


def test_an_empty_answer_and_a_double_submit_are_explained(client: httpx.Client) -> None:
    run = client.post("/runs", data={"protocol": "partial-stent-loss"}).url.path
    node, answers = _step(client.get(run).text)
    assert client.post(f"{run}/answer", data={"node": node}).status_code == 422
    assert (
        client.post(f"{run}/answer", data={"node": node, "answer": answers[0]}).status_code == 200
    )
    again = client.post(f"{run}/answer", data={"node": node, "answer": answers[0]})
    assert again.status_code == 409 and "Not recorded" in again.text


def test_calculator_shows_every_problem(client: httpx.Client) -> None:
    r = client.post("/scores/j-cto", data={"occlusion_length_mm": "900", "blunt_stump": "true"})
    assert r.status_code == 422
    assert "outside the allowed range" in r.text
    assert r.text.count("field-error") == 4
    live = client.post("/scores/j-cto/check", data={"occlusion_length_mm": "900"})
    assert "outside the allowed range" in live.text and "missing" not in live.text


def test_device_checker_without_javascript(client: httpx.Client) -> None:
    r = client.get(
        "/devices", params={"tool": "fit", "guide": "Launcher 6F", "device": ["Emerge 1.5x12"]}
    )
    assert r.status_code == 200 and "Fits" in r.text
    assert client.get("/devices", params={"tool": "inflation", "balloon": ""}).status_code == 422


def test_unknown_pages_are_404_pages(client: httpx.Client) -> None:
    r = client.get("/runs/0123456789abcdef0123456789abcdef")
    assert r.status_code == 404 and DISCLAIMER in r.text
    assert client.get("/protocols/nope").status_code == 404


def test_serve_command_help_and_bad_input() -> None:
    run = [sys.executable, "-m", "stentguide", "serve"]

    def call(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*run, *args], check=False, capture_output=True, text=True, timeout=60
        )

    help_ = call("--help")
    assert help_.returncode == 0 and "--demo" in help_.stdout
    bad = call("--db", "mysql://x/y")
    assert bad.returncode == 2
    assert bad.stderr.strip().startswith("error:") and len(bad.stderr.strip().splitlines()) == 1
    port = call("--port", "0")
    assert port.returncode == 2


LEAFLET_FORM = {
    "access": "femoral",
    "stent_type": "drug_eluting",
    "chronic_total_occlusion": "true",
    "second_antiplatelet": "ticagrelor",
    "antiplatelet_months": "12",
    "procedure_date": "2025-12-31",
    "language": "fr",
    "centre_phone": "01 23 45 67 89",
    "patient_first_name": "Anne",
}


def test_leaflet_form_preview_and_pdf(client: httpx.Client) -> None:
    preview = client.post("/leaflets/preview", data=LEAFLET_FORM)
    assert preview.status_code == 200
    assert "Anne" in preview.text and "31 décembre 2026" in preview.text  # 12 months on
    pdf = client.post("/leaflets/pdf", data=LEAFLET_FORM)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert pdf.headers["content-type"] == "application/pdf"


@pytest.mark.parametrize("path", ["/leaflets/preview", "/leaflets/pdf"])
def test_leaflet_form_names_every_bad_field(client: httpx.Client, path: str) -> None:
    bad = {**LEAFLET_FORM, "antiplatelet_months": "18", "procedure_date": ""}
    page = client.post(path, data=bad)
    assert page.status_code == 422
    assert 'id="err-antiplatelet_months"' in page.text
    assert 'id="err-procedure_date"' in page.text
    assert "Please check 2 fields." in page.text
    assert not page.content.startswith(b"%PDF")


def test_the_leaflet_form_posts_the_fields_of_a_plan() -> None:
    from stentguide.leaflets import LeafletPlan
    from stentguide.web.routes.leaflets import LeafletForm

    assert list(LeafletForm.model_fields) == list(LeafletPlan.model_fields)
