"""Case registry: insert throughput of whole cases.

Both on SQLite and PostgreSQL, each beside a raw DBAPI ``executemany`` of the
same rows measured in the same run (the dashboard on a large registry is
``bench_dashboard``). Set ``STENTGUIDE_BENCH_PG=0`` to leave PostgreSQL out; its
URL is ``STENTGUIDE_TEST_PG_URL`` (default the local test server).
"""

from __future__ import annotations

import gc
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
from stentguide.cases.model import Lesion

PG_URL = os.environ.get(
    "STENTGUIDE_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
INSERT_CASES = 20_000
INSERT_REPEAT = 3


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


def _raw_rows(
    cases: list[dict[str, Any]], first_id: int
) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """The rows the registry writes for ``cases`` (see :func:`_as_stored`): the same values."""
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
                _json(case["lesions"]),
                _json(case["devices"]),
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
    return case_rows, comp_rows, audit_rows


def _as_stored(cases: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The cases with their lesions as the registry stores them (defaults filled in).

    Done before timing, so that the baseline writes the same JSON text as the
    registry with no more work than serialising it.
    """
    as_stored = lambda x: Lesion.model_validate(x).model_dump(mode="json")  # noqa: E731
    return [{**case, "lesions": [as_stored(x) for x in case["lesions"]]} for case in cases]


def _json(value: object) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


_CASE_COLUMNS = (
    "id, uid, patient_id, procedure_date, operator, access, lesions, devices, outcome, "
    "created_at, created_by, updated_at, updated_by, version"
)
_COMP_COLUMNS = "case_id, kind, technique, success, note"
_AUDIT_COLUMNS = "at, actor, action, entity, entity_id, detail"


def _raw_insert(registry: Registry, cases: list[dict[str, Any]], first_id: int) -> None:
    """The same rows as the registry writes, through the DBAPI cursor's executemany."""
    placeholder = "?" if registry.dialect == "sqlite" else "%s"
    case_rows, comp_rows, audit_rows = _raw_rows(cases, first_id)
    marks = lambda n: ", ".join([placeholder] * n)  # noqa: E731
    raw = registry.engine.raw_connection()
    try:
        cursor = raw.cursor()
        if registry.dialect == "sqlite":
            cursor.execute("BEGIN IMMEDIATE")
        cursor.executemany(
            f"INSERT INTO cases ({_CASE_COLUMNS}) VALUES ({marks(14)})", case_rows
        )
        if comp_rows:
            cursor.executemany(
                f"INSERT INTO complications ({_COMP_COLUMNS}) VALUES ({marks(5)})", comp_rows
            )
        cursor.executemany(
            f"INSERT INTO audit_log ({_AUDIT_COLUMNS}) VALUES ({marks(6)})", audit_rows
        )
        raw.commit()
    finally:
        raw.close()


def _raw_copy(registry: Registry, cases: list[dict[str, Any]], first_id: int) -> None:
    """The same rows through psycopg's ``COPY FROM STDIN`` (PostgreSQL only)."""
    rows = _raw_rows(cases, first_id)
    raw = registry.engine.raw_connection()
    try:
        cursor = raw.cursor()
        for table, columns, table_rows in zip(
            ("cases", "complications", "audit_log"),
            (_CASE_COLUMNS, _COMP_COLUMNS, _AUDIT_COLUMNS),
            rows,
            strict=True,
        ):
            with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in table_rows:
                    copy.write_row(row)
        raw.commit()
    finally:
        raw.close()


def _gc_paused(fn: Callable[[], object]) -> Callable[[], object]:
    """``fn`` with the cyclic garbage collector off, as the registry runs its own chunks."""

    def run() -> object:
        gc.disable()
        try:
            return fn()
        finally:
            gc.enable()

    return run


def _insert_results(name: str, fresh: Callable[[], str]) -> list[Result]:
    """Best of ``INSERT_REPEAT`` runs each, subject and baselines in turn on fresh databases."""
    sample = demo_cases(INSERT_CASES, seed=1)
    stored = _as_stored(sample)
    ways: dict[str, Callable[[Registry], object]] = {
        "api": lambda r: r.cases.add_many(sample, actor="bench"),
        "executemany": lambda r: _gc_paused(lambda: _raw_insert(r, stored, 1))(),
    }
    if name == "postgresql":
        ways["copy"] = lambda r: _gc_paused(lambda: _raw_copy(r, stored, 1))()
    best = dict.fromkeys(ways, float("inf"))
    for _ in range(INSERT_REPEAT):
        for way, insert in ways.items():
            with Registry.open(fresh()) as registry:
                best[way] = min(best[way], _timed(lambda r=registry, f=insert: f(r)))
    note = "validated, with complications and audit; baseline with the cyclic GC off"
    results = [
        Result(
            f"cases/{name}/insert whole cases",
            "cases/s",
            INSERT_CASES / best["api"],
            INSERT_CASES / best["executemany"],
            "raw executemany",
            note,
        )
    ]
    if "copy" in best:
        results.append(
            Result(
                f"cases/{name}/insert whole cases vs COPY",
                "cases/s",
                INSERT_CASES / best["api"],
                INSERT_CASES / best["copy"],
                "raw COPY",
                note,
            )
        )
    return results


def _timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def run() -> list[Result]:
    results: list[Result] = []
    for name, fresh in _databases():
        results.extend(_insert_results(name, fresh))
    return results
