"""Case registry: insert throughput of whole cases.

Both on SQLite and PostgreSQL, each beside a raw DBAPI ``executemany`` of the
same rows measured in the same run (the dashboard on a large registry is
``bench_dashboard``). Set ``STENTGUIDE_BENCH_PG=0`` to leave PostgreSQL out; its
URL is ``STENTGUIDE_TEST_PG_URL`` (default the local test server).
"""

from __future__ import annotations

import json
import os
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from bench._common import Result
from stentguide.cases import Registry
from stentguide.cases.demo import demo_cases

PG_URL = os.environ.get(
    "STENTGUIDE_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
INSERT_CASES = 20_000


def _databases() -> Iterator[tuple[str, Callable[[], str]]]:
    with tempfile.TemporaryDirectory() as folder:
        counter = iter(range(1_000))
        yield "sqlite", lambda: f"sqlite:///{Path(folder) / f'r{next(counter)}.sqlite'}"
    if os.environ.get("STENTGUIDE_BENCH_PG", "1") == "0":
        return
    admin = sa.create_engine(PG_URL)
    schemas: list[str] = []

    def fresh() -> str:
        schema = f"bench_{uuid.uuid4().hex[:12]}"
        with admin.begin() as conn:
            conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
        schemas.append(schema)
        url = sa.engine.make_url(PG_URL).update_query_dict({"options": f"-csearch_path={schema}"})
        return url.render_as_string(hide_password=False)

    try:
        yield "postgresql", fresh
    finally:
        with admin.begin() as conn:
            for schema in schemas:
                conn.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
        admin.dispose()


def _raw_insert(registry: Registry, cases: list[dict[str, Any]], first_id: int) -> None:
    """The same rows as the registry writes, through the DBAPI cursor's executemany."""
    placeholder = "?" if registry.dialect == "sqlite" else "%s"
    now = "2024-01-01 00:00:00+00:00"
    case_rows, comp_rows, audit_rows = [], [], []
    for offset, case in enumerate(cases):
        case_id = first_id + offset
        case_rows.append(
            (
                case_id,
                case["uid"],
                case["patient_id"],
                case["procedure_date"],
                case["operator"],
                case["access"],
                json.dumps(case["lesions"]),
                json.dumps(case["devices"]),
                case["outcome"],
                now,
                "bench",
                now,
                "bench",
                1,
            )
        )
        comp_rows.extend(
            (case_id, c["kind"], c.get("technique"), c.get("success"), None)
            for c in case["complications"]
        )
        audit_rows.append((now, "bench", "create", "case", case["uid"], "{}"))
    marks = lambda n: ", ".join([placeholder] * n)  # noqa: E731
    raw = registry.engine.raw_connection()
    try:
        cursor = raw.cursor()
        if registry.dialect == "sqlite":
            cursor.execute("BEGIN IMMEDIATE")
        cursor.executemany(
            "INSERT INTO cases (id, uid, patient_id, procedure_date, operator, access, lesions, "
            "devices, outcome, created_at, created_by, updated_at, updated_by, version) "
            f"VALUES ({marks(14)})",
            case_rows,
        )
        if comp_rows:
            cursor.executemany(
                "INSERT INTO complications (case_id, kind, technique, success, note) "
                f"VALUES ({marks(5)})",
                comp_rows,
            )
        cursor.executemany(
            "INSERT INTO audit_log (at, actor, action, entity, entity_id, detail) "
            f"VALUES ({marks(6)})",
            audit_rows,
        )
        raw.commit()
    finally:
        raw.close()


def _timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def run() -> list[Result]:
    results: list[Result] = []
    sample = demo_cases(INSERT_CASES, seed=1)
    for name, fresh in _databases():
        with Registry.open(fresh()) as subject, Registry.open(fresh()) as baseline:
            api = _timed(lambda: subject.cases.add_many(sample, actor="bench"))
            raw = _timed(lambda: _raw_insert(baseline, sample, 1))
        results.append(
            Result(
                f"cases/{name}/insert whole cases",
                "cases/s",
                INSERT_CASES / api,
                INSERT_CASES / raw,
                "raw executemany",
                "validated, with complications and audit",
            )
        )
    return results
