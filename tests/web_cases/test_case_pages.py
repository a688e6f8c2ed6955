"""Case pages over HTTP: search, add and edit with named problems, runs, import and export."""

from __future__ import annotations

import io
import re
from pathlib import Path

import httpx
import polars as pl

from stentguide.cases import CaseFilter
from tests.web_cases.conftest import DEMO_COUNT, Live, csrf_of, login, serve

GOOD = {
    "patient_id": "WEB-0001",
    "procedure_date": "2024-06-03",
    "operator": "dr-web",
    "access": "femoral",
    "outcome": "deployed",
    "devices": "guide: 7F JL4\nstent: DES 3.5 x 22",
    "lesion-0-vessel": "RCA",
    "lesion-0-calcified": "yes",
    "complication-0-kind": "stent_loss",
    "complication-0-technique": "small_balloon",
    "complication-0-success": "yes",
}


def _post_new(client: httpx.Client, form: dict[str, str]) -> httpx.Response:
    token = csrf_of(client.get("/cases/new").text)
    return client.post("/cases/new", data={**form, "csrf_token": token})


def test_a_bad_field_is_named_beside_it_and_nothing_is_saved(
    live: Live, operator: httpx.Client
) -> None:
    before = live.registry.cases.count()
    answer = _post_new(operator, {**GOOD, "patient_id": "John Smith"})
    assert answer.status_code == 422
    assert re.search(r'id="in-patient_id"[^>]*aria-invalid="true"', answer.text)
    assert 'id="err-patient_id"' in answer.text
    assert 'href="#in-patient_id">Pseudonymous patient id</a>' in answer.text
    assert 'value="John Smith"' in answer.text
    assert live.registry.cases.count() == before


def test_every_missing_field_is_named(live: Live, operator: httpx.Client) -> None:
    answer = _post_new(operator, {})
    assert answer.status_code == 422
    for field in ("patient_id", "procedure_date", "operator", "access", "lesions"):
        assert f'id="err-{field}"' in answer.text, field


def test_a_problem_in_a_row_points_at_that_row(operator: httpx.Client) -> None:
    form = {
        **GOOD,
        "lesion-0-vessel": "",
        "lesion-0-calcified": "",
        "lesion-1-vessel": "LAD",
        "complication-0-success": "",
        "complication-1-kind": "",
        "complication-1-cto": "",
        "lesion-2-cto": "yes",
    }
    answer = operator.post(
        "/cases/new", data={**form, "csrf_token": csrf_of(operator.get("/cases/new").text)}
    )
    assert answer.status_code == 422
    assert 'id="err-lesion-2-vessel"' in answer.text
    assert 'id="err-complication-0"' in answer.text
    assert "needs both technique and success" in answer.text
    assert 'id="err-lesion-1-vessel"' not in answer.text


def test_bad_device_lines_are_named(operator: httpx.Client) -> None:
    answer = _post_new(operator, {**GOOD, "devices": "guide: 6F\njust a stent"})
    assert answer.status_code == 422
    assert "line 2: write each device as" in answer.text


def test_a_good_case_is_saved_with_who_and_shown(live: Live, operator: httpx.Client) -> None:
    answer = _post_new(operator, {**GOOD, "patient_id": "WEB-0002"})
    assert answer.status_code == 303
    uid = answer.headers["location"].split("/")[2].split("?")[0]
    stored = live.registry.cases.get(uid)
    assert stored.created_by == "otto"
    assert stored.devices == {"guide": "7F JL4", "stent": "DES 3.5 x 22"}
    assert stored.complications[0].technique is not None
    assert stored.complications[0].technique.value == "small_balloon"
    assert stored.lesions[0].calcified is True
    assert stored.lesions[0].cto is None
    page = operator.get(answer.headers["location"]).text
    assert "WEB-0002" in page
    assert "small balloon" in page
    assert 'id="synthetic-note"' not in page


def test_an_edit_made_meanwhile_is_refused_not_overwritten(
    live: Live, operator: httpx.Client
) -> None:
    stored = live.registry.cases.add(
        {
            "patient_id": "WEB-0003",
            "procedure_date": "2024-01-02",
            "operator": "dr-c",
            "access": "radial",
            "lesions": [{"vessel": "LAD"}],
            "devices": {},
            "complications": [],
        },
        actor="test",
    )
    page = operator.get(f"/cases/{stored.uid}/edit").text
    live.registry.cases.update(stored.uid, {"outcome": "by someone else"}, actor="other")
    form = {
        "csrf_token": csrf_of(page),
        "version": str(stored.version),
        "patient_id": "WEB-0003",
        "procedure_date": "2024-01-02",
        "operator": "dr-c",
        "access": "radial",
        "lesion-0-vessel": "LAD",
        "outcome": "mine",
    }
    answer = operator.post(f"/cases/{stored.uid}/edit", data=form)
    assert answer.status_code == 409
    assert "changed meanwhile" in answer.text
    assert live.registry.cases.get(stored.uid).outcome == "by someone else"


def test_search_by_complication_date_operator_and_outcome(
    live: Live, viewer: httpx.Client
) -> None:
    page = viewer.get("/cases", params={"complication": "stent_loss"}).text
    expected = live.registry.cases.count(CaseFilter(complication="stent_loss"))
    assert f"<strong>{expected}</strong> case" in page
    page = viewer.get(
        "/cases", params={"since": "2024-05-01", "until": "2024-05-31", "operator": "dr-b"}
    ).text
    assert "<strong>1</strong> case found" in page
    assert "P-0002" in page
    page = viewer.get("/cases", params={"outcome": "retrieved"}).text
    assert "P-0002" in page
    assert "P-0001" not in page


def test_a_bad_search_names_the_field(viewer: httpx.Client) -> None:
    bad_date = viewer.get("/cases", params={"since": "yesterday"})
    assert bad_date.status_code == 422
    assert 'id="err-since"' in bad_date.text
    empty = viewer.get("/cases", params={"since": "2024-02-01", "until": "2024-01-01"})
    assert empty.status_code == 422
    assert "is after until" in empty.text
    kind = viewer.get("/cases", params={"complication": "hiccups"})
    assert kind.status_code == 422
    assert 'id="err-complication"' in kind.text


def test_synthetic_cases_are_labelled_in_the_list_and_on_their_page(
    live: Live, viewer: httpx.Client
) -> None:
    page = viewer.get("/cases").text
    assert 'id="synthetic-note"' in page
    assert f"{DEMO_COUNT} of the" in page
    assert '<span class="badge synthetic">synthetic</span>' in page
    demo = live.registry.cases.find(CaseFilter(patient_id="DEMO-0000001"))[0]
    assert 'id="synthetic-note"' in viewer.get(f"/cases/{demo.uid}").text
    real = viewer.get("/cases", params={"outcome": "deployed"}).text
    assert 'id="synthetic-note"' not in real


def test_unknown_case_is_404(viewer: httpx.Client) -> None:
    assert viewer.get("/cases/" + "0" * 32).status_code == 404


def test_attach_a_protocol_run_to_a_case(live: Live, operator: httpx.Client) -> None:
    body = {
        "protocol_id": "stent-loss-wire-in-place",
        "case": {"devices": {"guide": "Launcher 6F"}},
    }
    run_id = operator.post("/api/sessions", json=body).json()["session_id"]
    case = live.registry.cases.find(CaseFilter(patient_id="P-0001"))[0]
    page = operator.get(f"/cases/{case.uid}").text
    assert f'<option value="{run_id}">' in page
    token = csrf_of(page)
    unknown = operator.post(f"/cases/{case.uid}/runs", data={"csrf_token": token, "run_id": "nope"})
    assert unknown.status_code == 422
    assert 'id="err-run_id"' in unknown.text
    answer = operator.post(f"/cases/{case.uid}/runs", data={"csrf_token": token, "run_id": run_id})
    assert answer.status_code == 303
    page = operator.get(f"/cases/{case.uid}").text
    assert f'href="/runs/{run_id}/record"' in page
    assert live.registry.runs.find(case_uid=case.uid)[0].run_id == run_id
    other = live.registry.cases.find(CaseFilter(patient_id="P-0002"))[0]
    again = operator.post(
        f"/cases/{other.uid}/runs", data={"csrf_token": token, "run_id": run_id}
    )
    assert again.status_code == 409
    assert "already attached" in again.text


def test_export_csv_parquet_and_archive_follow_the_search_and_are_audited(
    live: Live, viewer: httpx.Client
) -> None:
    params = {"complication": "stent_loss"}
    expected = live.registry.cases.count(CaseFilter(complication="stent_loss"))
    csv = viewer.get("/cases/export/csv", params=params)
    assert csv.status_code == 200
    assert "attachment" in csv.headers["content-disposition"]
    assert pl.read_csv(io.BytesIO(csv.content)).height == expected
    parquet = viewer.get("/cases/export/parquet", params=params)
    assert pl.read_parquet(io.BytesIO(parquet.content)).height == expected
    archive = viewer.get("/cases/export/json", params=params).json()
    assert archive["format"] == "stentguide.archive/1"
    assert len(archive["cases"]) == expected
    entry = live.registry.audit.entries(entity="cases", limit=1)[0]
    assert (entry.actor, entry.action, entry.entity_id) == ("vera", "export", "json")
    assert entry.detail == {"cases": expected, "filter": params}
    assert viewer.get("/cases/export/xlsx").status_code == 422


def _import(client: httpx.Client, name: str, content: bytes) -> httpx.Response:
    token = csrf_of(client.get("/cases/import").text)
    return client.post(
        "/cases/import", data={"csrf_token": token}, files={"file": (name, content)}
    )


def test_export_then_import_round_trips_csv_and_parquet(live: Live, tmp_path: Path) -> None:
    with httpx.Client(base_url=live.url, follow_redirects=False, timeout=60) as source:
        assert login(source, "vera").status_code == 303
        exported = {fmt: source.get(f"/cases/export/{fmt}").content for fmt in ("csv", "parquet")}
    for fmt, content in exported.items():
        with (
            serve(f"sqlite:///{tmp_path / f'{fmt}.sqlite'}", seed=False) as target,
            httpx.Client(base_url=target.url, follow_redirects=False, timeout=60) as client,
        ):
            assert login(client, "otto").status_code == 303
            answer = _import(client, f"cases.{fmt}", content)
            assert answer.status_code == 303, answer.text
            total = live.registry.cases.count()
            assert answer.headers["location"] == f"/cases/import?imported={total}"
            again = client.get(f"/cases/export/{fmt}").content
            read = pl.read_csv if fmt == "csv" else pl.read_parquet
            before = read(io.BytesIO(content)).sort("uid")
            after = read(io.BytesIO(again)).sort("uid")
            assert before.equals(after)


def test_import_is_all_or_nothing_and_lists_bad_rows(
    live: Live, operator: httpx.Client
) -> None:
    rows = [
        "patient_id,procedure_date,operator,access,lesions,devices,outcome,complications",
        'IMP-1,2024-02-01,dr-i,radial,"[{""vessel"":""LAD""}]",{},,[]',
        'IMP-2,not-a-date,dr-i,radial,"[{""vessel"":""LAD""}]",{},,[]',
        'IMP-3,2024-02-03,dr-i,sideways,"[{""vessel"":""LAD""}]",{},,[]',
    ]
    before = live.registry.cases.count()
    token = csrf_of(operator.get("/cases/import").text)
    answer = operator.post(
        "/cases/import",
        data={"csrf_token": token},
        files={"file": ("bad.csv", "\n".join(rows).encode())},
    )
    assert answer.status_code == 422
    assert "row 2: procedure_date" in answer.text
    assert "row 3: access" in answer.text
    assert "nothing was imported" in answer.text
    assert live.registry.cases.count() == before
    good = "\n".join(rows[:2]).encode()
    done = operator.post(
        "/cases/import", data={"csrf_token": token}, files={"file": ("good.csv", good)}
    )
    assert done.status_code == 303
    assert done.headers["location"] == "/cases/import?imported=1"
    assert live.registry.cases.count() == before + 1
    imported = live.registry.cases.find(CaseFilter(patient_id="IMP-1"))[0]
    assert imported.created_by == "otto"
    nothing = operator.post("/cases/import", data={"csrf_token": token})
    assert nothing.status_code == 422
    assert "choose a file" in nothing.text
    wrong = operator.post(
        "/cases/import", data={"csrf_token": token}, files={"file": ("x.xlsx", b"1")}
    )
    assert wrong.status_code == 422


def test_archive_import_brings_cases_with_their_runs(live: Live, tmp_path: Path) -> None:
    case = live.registry.cases.find(CaseFilter(patient_id="P-0002"))[0]
    with httpx.Client(base_url=live.url, follow_redirects=False, timeout=60) as client:
        assert login(client, "otto").status_code == 303
        body = {"protocol_id": "stent-loss-wire-in-place", "case": {"devices": {}}}
        run_id = client.post("/api/sessions", json=body).json()["session_id"]
        token = csrf_of(client.get(f"/cases/{case.uid}").text)
        client.post(f"/cases/{case.uid}/runs", data={"csrf_token": token, "run_id": run_id})
        archive = client.get("/cases/export/json", params={"patient_id": "P-0002"}).content
    with (
        serve(f"sqlite:///{tmp_path / 'archive.sqlite'}", seed=False) as target,
        httpx.Client(base_url=target.url, follow_redirects=False, timeout=60) as client,
    ):
        assert login(client, "otto").status_code == 303
        answer = _import(client, "archive.json", archive)
        assert answer.status_code == 303, answer.text
        assert answer.headers["location"] == "/cases/import?imported=1"
        page = client.get(f"/cases/{case.uid}").text
        assert f'href="/runs/{run_id}/record"' in page
        again = _import(client, "archive.json", archive)
        assert again.status_code == 422
        assert target.registry.cases.count() == 1
