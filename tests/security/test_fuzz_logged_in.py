"""Schemathesis with a logged-in operator, on SQLite and PostgreSQL: still no 5xx.

The anonymous fuzz run lives in ``tests/web/test_fuzz.py``; this one sends the
session cookie too, so the operations that need a login are reached, and it
runs on both databases.
"""

from __future__ import annotations

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

from tests.web_cases.conftest import Live, login


@pytest.mark.slow
def test_every_operation_logged_in_gets_no_server_error(live: Live) -> None:
    with httpx.Client(base_url=live.url, timeout=60) as client:
        assert login(client, "otto").status_code == 303
        cookie = "; ".join(f"{k}={v}" for k, v in client.cookies.items())
    schema = schemathesis.openapi.from_url(f"{live.url}/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 20
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=15,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def fuzz(case: schemathesis.Case) -> None:
            case.call_and_validate(
                base_url=live.url, headers={"Cookie": cookie}, checks=[not_a_server_error]
            )

        try:
            fuzz()
        except Exception as exc:
            pytest.fail(f"{operation.method.upper()} {operation.path}: {exc}")
