"""The registry pages on a real PostgreSQL server: login, add, edit with audit, dashboard."""

from __future__ import annotations

import httpx
import pytest

from stentguide.cases import CaseFilter
from tests.web_cases.conftest import csrf_of, login, serve


@pytest.mark.postgres
def test_registry_pages_on_postgresql(pg_url: str) -> None:
    with (
        serve(pg_url) as live,
        httpx.Client(base_url=live.url, follow_redirects=False, timeout=60) as client,
    ):
        assert live.registry.dialect == "postgresql"
        assert login(client, "otto").status_code == 303
        token = csrf_of(client.get("/cases/new").text)
        form = {
            "csrf_token": token,
            "patient_id": "PG-0001",
            "procedure_date": "2024-07-01",
            "operator": "dr-pg",
            "access": "radial",
            "lesion-0-vessel": "LCx",
            "complication-0-kind": "delivery_failure",
        }
        bad = client.post("/cases/new", data={**form, "access": "nasal"})
        assert bad.status_code == 422
        assert 'id="err-access"' in bad.text
        added = client.post("/cases/new", data=form)
        assert added.status_code == 303
        uid = added.headers["location"].split("/")[2].split("?")[0]
        edited = client.post(
            f"/cases/{uid}/edit", data={**form, "version": "1", "outcome": "crossed later"}
        )
        assert edited.status_code == 303
        entry = live.registry.audit.entries(entity="case", entity_id=uid, limit=1)[0]
        assert (entry.actor, entry.action) == ("otto", "update")
        listed = client.get("/cases", params={"complication": "delivery_failure"}).text
        assert "PG-0001" in listed
        dashboard = client.get("/quality", params={"operator": "dr-pg"})
        assert dashboard.status_code == 200
        assert "1 / 1" in dashboard.text
        assert live.registry.cases.count(CaseFilter(operator="dr-pg")) == 1
