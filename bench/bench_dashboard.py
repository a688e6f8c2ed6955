"""Quality dashboard and ``cases stats`` on a large registry, beside DuckDB over Parquet.

A synthetic registry of ``STENTGUIDE_BENCH_CASES`` cases (default 1,000,000,
from :func:`stentguide.cases.demo.demo_cases`) is loaded straight into SQLite
(``executemany``) and PostgreSQL (``COPY``), then exported to Parquet. Timed on
each database, best of ``REPEAT``:

- ``stats in-process``: what ``stentguide cases stats`` computes (the counts, the
  rates with their intervals, the published figures beside them), each time right
  after a new case, so that the counts are made afresh as in a new process;
- ``stats CLI, counts kept``: the command itself in a new process (interpreter
  start included) over unchanged data, reading the counts the database keeps
  (migration 0007); the note gives the same command on an empty registry;
- ``stats CLI after a new case``: the command in a new process right after each
  of ``REPEAT`` new cases, counting afresh and keeping the counts;
- ``quality page warm``: ``/quality`` through the real app (HTTP, logged in)
  shown again over unchanged data (counts and plot kept);
- ``quality page after a new case``: the page again after each of ``REPEAT`` new cases
  (the counts made afresh, the plot written afresh as SVG).

The baseline is DuckDB computing the same counts per (year, operator, access)
over the Parquet export in the same run; the bench checks that DuckDB and the
registry agree before timing. Each row's note gives the seconds against the
0.5 s target. PostgreSQL gets ``VACUUM ANALYZE`` after the load, as autovacuum
would after a bulk insert. Set ``STENTGUIDE_BENCH_PG=0`` to leave PostgreSQL out;
its URL is ``STENTGUIDE_TEST_PG_URL`` (default the local test server).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from bench._common import Result
from stentguide.cases import Registry
from stentguide.cases.analytics import Grouping, compare, registry_rates
from stentguide.cases.counts import RegistryCounts, registry_counts
from stentguide.cases.demo import demo_cases

PG_URL = os.environ.get(
    "STENTGUIDE_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
CHUNK = 50_000
REPEAT = 3
TARGET_SECONDS = 0.5
SECRET = "b" * 48
PASSWORD = "correct horse battery"

CASE_COLUMNS = (
    "id, uid, patient_id, procedure_date, operator, access, lesions, devices, outcome, "
    "created_at, created_by, updated_at, updated_by, version"
)
COMPLICATION_COLUMNS = "case_id, kind, technique, success, note"
NOW = "2024-01-01 00:00:00+00:00"


def _chunks(size: int) -> Iterator[tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]]:
    """The synthetic registry in chunks of (case rows, complication rows)."""
    next_id = 1
    for start in range(0, size, CHUNK):
        cases, complications = [], []
        for case in demo_cases(min(CHUNK, size - start), seed=1000 + start):
            cases.append(
                (
                    next_id,
                    case["uid"],
                    f"DEMO-{next_id:08d}",
                    case["procedure_date"].isoformat(),
                    case["operator"],
                    case["access"],
                    json.dumps(case["lesions"]),
                    json.dumps(case["devices"]),
                    case["outcome"],
                    NOW,
                    "bench",
                    NOW,
                    "bench",
                    1,
                )
            )
            complications.extend(
                (next_id, c["kind"], c.get("technique"), c.get("success"), None)
                for c in case["complications"]
            )
            next_id += 1
        yield cases, complications


@contextmanager
def _registries(folder: Path) -> Iterator[list[Registry]]:
    """An empty registry on SQLite and (unless left out) on a fresh PostgreSQL schema."""
    opened = [Registry.open(f"sqlite:///{folder / 'dashboard.sqlite'}")]
    schema = f"bench_{uuid.uuid4().hex[:12]}"
    admin = None
    try:
        if os.environ.get("STENTGUIDE_BENCH_PG", "1") != "0":
            admin = sa.create_engine(PG_URL)
            with admin.begin() as conn:
                conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
            url = sa.engine.make_url(PG_URL).update_query_dict(
                {"options": f"-csearch_path={schema}"}
            )
            opened.append(Registry.open(url.render_as_string(hide_password=False)))
        yield opened
    finally:
        for registry in opened:
            registry.close()
        if admin is not None:
            with admin.begin() as conn:
                conn.exec_driver_sql(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
            admin.dispose()


def _load(registries: list[Registry], size: int) -> None:
    """The same synthetic rows into every registry, by the driver's fastest path."""
    raws = [registry.engine.raw_connection() for registry in registries]
    try:
        for cases, complications in _chunks(size):
            for registry, raw in zip(registries, raws, strict=True):
                cursor = raw.cursor()
                if registry.dialect == "sqlite":
                    cursor.execute("BEGIN IMMEDIATE")
                    cursor.executemany(
                        f"INSERT INTO cases ({CASE_COLUMNS}) VALUES ({', '.join('?' * 14)})",
                        cases,
                    )
                    cursor.executemany(
                        f"INSERT INTO complications ({COMPLICATION_COLUMNS}) "
                        "VALUES (?, ?, ?, ?, ?)",
                        complications,
                    )
                else:
                    copying = raw.driver_connection.cursor()  # type: ignore[union-attr]
                    for table, columns, rows in (
                        ("cases", CASE_COLUMNS, cases),
                        ("complications", COMPLICATION_COLUMNS, complications),
                    ):
                        with copying.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                            for row in rows:
                                copy.write_row(row)
                raw.commit()
        for registry, raw in zip(registries, raws, strict=True):
            if registry.dialect == "postgresql":
                cursor = raw.cursor()
                cursor.execute(
                    "SELECT setval(pg_get_serial_sequence('cases', 'id'), max(id)) FROM cases"
                )
                raw.commit()
                raw.driver_connection.autocommit = True  # type: ignore[union-attr]
                raw.cursor().execute("VACUUM ANALYZE")
                raw.driver_connection.autocommit = False  # type: ignore[union-attr]
    finally:
        for raw in raws:
            raw.close()


def _export_parquet(registry: Registry, folder: Path) -> tuple[Path, Path]:
    """The columns the dashboard counts, exported from the registry to Parquet."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    paths = folder / "cases.parquet", folder / "complications.parquet"
    with registry.engine.connect() as conn:
        for path, query in zip(
            paths,
            (
                "SELECT id, procedure_date, operator, access, outcome FROM cases",
                "SELECT case_id, kind, technique, success FROM complications",
            ),
            strict=True,
        ):
            result = conn.exec_driver_sql(query)
            names = list(result.keys())
            columns = list(zip(*result.all(), strict=True))
            table = pa.table({n: list(col) for n, col in zip(names, columns, strict=True)})
            if "procedure_date" in names:
                dates = pa.compute.strptime(table["procedure_date"], "%Y-%m-%d", "s")
                table = table.set_column(1, "procedure_date", dates.cast(pa.date32()))
            if "success" in names:
                table = table.set_column(3, "success", table["success"].cast(pa.bool_()))
            pq.write_table(table, path)
    return paths


def _duckdb_counts(cases: Path, complications: Path) -> dict[str, Any]:
    """The dashboard's counts per (year, operator, access), by DuckDB over the Parquet files."""
    import duckdb

    cell = "year(procedure_date) AS y, operator, access"
    joined = f"read_parquet('{complications}') k JOIN read_parquet('{cases}') c ON c.id = k.case_id"
    with duckdb.connect() as db:
        per_cell = db.sql(
            f"SELECT {cell}, count(*), count(*) FILTER (outcome = 'synthetic') "
            f"FROM read_parquet('{cases}') GROUP BY ALL"
        ).fetchall()
        kinds = db.sql(
            f"SELECT {cell}, kind, count(DISTINCT case_id) FROM {joined} GROUP BY ALL"
        ).fetchall()
        retrieval = db.sql(
            f"SELECT {cell}, technique, count(*) FILTER (success), count(*) FROM {joined} "
            "WHERE kind = 'stent_loss' AND technique IS NOT NULL GROUP BY ALL"
        ).fetchall()
        after_loss = db.sql(
            f"SELECT {cell}, count(DISTINCT k.case_id) FROM {joined} "
            f"JOIN read_parquet('{complications}') s ON s.case_id = k.case_id "
            "WHERE k.kind = 'stent_loss' AND s.kind = 'emergency_surgery' GROUP BY ALL"
        ).fetchall()
    return {
        "cases": {(r[0], r[1], r[2]): r[3] for r in per_cell},
        "synthetic": sum(r[4] for r in per_cell),
        "kinds": {((r[0], r[1], r[2]), r[3]): r[4] for r in kinds},
        "retrieval": {((r[0], r[1], r[2]), r[3]): (r[4], r[5]) for r in retrieval},
        "after_loss": {(r[0], r[1], r[2]): r[3] for r in after_loss},
    }


def _same(counts: RegistryCounts, duck: dict[str, Any]) -> bool:
    return (
        dict(counts.cases) == duck["cases"]
        and counts.synthetic == duck["synthetic"]
        and dict(counts.kinds) == duck["kinds"]
        and dict(counts.retrieval) == duck["retrieval"]
        and dict(counts.after_loss) == duck["after_loss"]
    )


def _best(fn: Callable[[], object], repeat: int = REPEAT) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def _stats(registry: Registry) -> None:
    """What ``stentguide cases stats`` computes before printing."""
    counts = registry_counts(registry)
    compare(registry_rates(registry, by=Grouping.none, counts=counts))


def _new_case(registry: Registry, n: int) -> None:
    """One more case: the data change, so nothing counted or drawn before is reused."""
    registry.cases.add(
        {
            "patient_id": f"BENCH-{n}",
            "procedure_date": "2024-03-01",
            "operator": "bench",
            "access": "radial",
            "lesions": [{"vessel": "LAD"}],
            "devices": {"guide": "6F"},
            "complications": [{"kind": "stent_loss"}],
        },
        actor="bench",
    )


def _stats_after_changes(registry: Registry) -> float:
    """Best seconds of :func:`_stats`, each right after a new case (as a new process counts)."""
    times = []
    for n in range(REPEAT):
        _new_case(registry, 100 + n)
        start = time.perf_counter()
        _stats(registry)
        times.append(time.perf_counter() - start)
    return min(times)


def _cli_seconds(url: str, repeat: int = REPEAT) -> float:
    command = [sys.executable, "-m", "stentguide", "cases", "stats", "--db", url]
    return _best(lambda: subprocess.run(command, check=True, capture_output=True), repeat)


def _cli_after_changes(registry: Registry, url: str) -> float:
    """Best seconds of the command, each right after a new case (it counts and keeps)."""
    times = []
    for n in range(REPEAT):
        _new_case(registry, 200 + n)
        times.append(_cli_seconds(url, 1))
    return min(times)


def _cli_startup(folder: Path) -> float:
    """``cases stats`` on an empty registry: the interpreter, the imports and the figures."""
    url = f"sqlite:///{folder / 'empty.sqlite'}"
    Registry.open(url).close()
    return _cli_seconds(url)


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "the login page has no CSRF token"
    return found.group(1)


def _quality(registry: Registry, url: str) -> tuple[float, float]:
    """Seconds of ``GET /quality``: warm, and right after a new case (best of each)."""
    from fastapi.testclient import TestClient

    from stentguide.cases.users import UserStore
    from stentguide.web import Settings, create_app

    name = f"bench{uuid.uuid4().hex[:8]}"
    UserStore(registry).create(name, PASSWORD, "viewer", actor="bench")
    app = create_app(Settings(database_url=url, secret_key=SECRET))
    with TestClient(app, base_url="https://testserver") as client:
        form = client.get("/login")
        client.post(
            "/login",
            data={"csrf_token": _csrf(form.text), "username": name, "password": PASSWORD},
        )

        def page() -> None:
            answer = client.get("/quality")
            assert answer.status_code == 200 and "rates-plot" in answer.text, answer.status_code

        page()
        warm = _best(page)
        changed = []
        for n in range(REPEAT):
            _new_case(registry, n)
            changed.append(_best(page, 1))
    return warm, min(changed)


def run() -> list[Result]:
    size = int(os.environ.get("STENTGUIDE_BENCH_CASES", "1000000"))
    results: list[Result] = []
    with tempfile.TemporaryDirectory() as name, _registries(Path(name)) as registries:
        folder = Path(name)
        start = time.perf_counter()
        _load(registries, size)
        print(f"  loaded {size:,} cases in {time.perf_counter() - start:.0f} s", flush=True)
        parquet = _export_parquet(registries[0], folder)
        duck = _duckdb_counts(*parquet)
        duck_seconds = _best(lambda: _duckdb_counts(*parquet))
        startup = _cli_startup(folder)
        for registry in registries:
            url = registry.engine.url.render_as_string(hide_password=False)
            if not _same(registry_counts(registry), duck):
                raise AssertionError(f"{registry.dialect}: the registry and DuckDB disagree")
            timings = {
                "stats in-process": _stats_after_changes(registry),
                "stats CLI, counts kept (new process)": _cli_seconds(url),
                "stats CLI after a new case (new process)": _cli_after_changes(registry, url),
            }
            warm, changed = _quality(registry, url)
            timings["quality page warm"] = warm
            timings["quality page after a new case"] = changed
            for label, seconds in timings.items():
                extra = f"; {startup:.2f} s on an empty registry" if "CLI" in label else ""
                results.append(
                    Result(
                        f"dashboard/{registry.dialect}/{label}",
                        "dashboards/s",
                        1 / seconds,
                        1 / duck_seconds,
                        "DuckDB on Parquet",
                        f"{seconds:.3f} s vs DuckDB {duck_seconds:.3f} s, {size:,} cases "
                        f"(target < {TARGET_SECONDS} s{extra})",
                    )
                )
    return results
