"""Recording a pathway step through the API at 8 clients, against /api/health of the same server.

The server runs as production runs it: ``stentguide serve`` in its own process
on 127.0.0.1, once on a temporary SQLite registry and once on a fresh
PostgreSQL schema (``STENTGUIDE_TEST_PG_URL``, default the local test database;
the schema is dropped after; ``STENTGUIDE_BENCH_PG=0`` skips it). This process
is the load: 8 threads, each with its own keep-alive connection and an
operator's session cookie, send the same number of requests to each endpoint.
Recording a step reads the run, applies the engine and appends its events in
one transaction; the trivial health check, sent by the same logged-in clients
at the same concurrency, is the baseline. The ratio printed is
health p99 / step p99: 0.5 or more means a step's p99 is within twice the
health check's.
"""

from __future__ import annotations

import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import sqlalchemy as sa

from bench._common import Result
from stentguide.cases import Registry
from stentguide.cases.tokens import TokenSigner
from stentguide.cases.users import Role, UserStore
from stentguide.web.settings import SECRET_KEY_ENV

CLIENTS = 8
REQUESTS = 960  # per endpoint and database: 120 per client
ROUNDS = 4  # health and step alternate, so that both meet the same load of the machine
WARM_UP = 4  # per client and load, not measured
PROTOCOL = "stent-loss-wire-in-place"
ANSWER = {"node": "check-act", "answer": "adequate"}
PG_URL = os.environ.get(
    "STENTGUIDE_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
_SECRET = "b" * 48


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wait(url: str, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("the server exited before answering")
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError("the server did not answer within 60 s")


@contextmanager
def _server(db: str) -> Iterator[tuple[str, int]]:
    """``stentguide serve`` on ``db`` with an operator ``bench``; yields its URL and pid."""
    with Registry.open(db) as registry:  # runs need an operator's login
        UserStore(registry).create("bench", "bench password 1", Role.operator, actor="bench")
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "stentguide", "serve", "--port", str(port), "--db", db],
        env={**os.environ, "NO_COLOR": "1", SECRET_KEY_ENV: _SECRET},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        _wait(base + "/api/health", proc)
        yield base, proc.pid
    finally:
        proc.terminate()
        proc.wait(timeout=30)


@contextmanager
def _pg_schema() -> Iterator[str]:
    """A fresh schema on the PostgreSQL server, as the tests make one; dropped after."""
    admin = sa.create_engine(PG_URL)
    schema = f"bench_{uuid.uuid4().hex[:12]}"
    try:
        with admin.begin() as conn:
            conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
        url = sa.engine.make_url(PG_URL).update_query_dict({"options": f"-csearch_path={schema}"})
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as conn:
            conn.exec_driver_sql(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        admin.dispose()


@dataclass
class Timing:
    """Latencies (s), wall seconds and server CPU seconds of one endpoint's loads, merged."""

    latencies: list[float] = field(default_factory=list)
    wall: float = 0.0
    server_cpu: float = 0.0

    def add(self, other: Timing) -> None:
        self.latencies += other.latencies
        self.wall += other.wall
        self.server_cpu += other.server_cpu

    @property
    def count(self) -> int:
        return len(self.latencies)

    @property
    def rate(self) -> float:
        return self.count / self.wall

    def quantile(self, percent: int) -> float:
        """The ``percent``-th percentile latency, in ms."""
        cuts = statistics.quantiles(self.latencies, n=100, method="inclusive")
        return cuts[percent - 1] * 1000

    @property
    def cpu_ms(self) -> float:
        """Server CPU per request, in ms."""
        return self.server_cpu * 1000 / self.count


def _cpu_seconds(pid: int) -> float:
    """CPU seconds (user + system) the process has used so far (Linux /proc)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


Call = Callable[[httpx.Client, int], httpx.Response]


def _load(
    base: str, call: Call, per_client: int, *, login: bool = True, pid: int | None = None
) -> Timing:
    """``CLIENTS`` threads each send ``per_client`` calls (after a warm-up) on one connection."""
    token = TokenSigner(_SECRET).session_token("bench")
    cookie = {"stentguide_session": token} if login else {}
    latencies: list[list[float]] = [[] for _ in range(CLIENTS)]
    errors: list[str] = []
    ready = threading.Barrier(CLIENTS + 1)
    done = threading.Barrier(CLIENTS + 1)

    def client(k: int) -> None:
        with httpx.Client(base_url=base, timeout=60, cookies=cookie) as http:
            try:
                for i in range(WARM_UP):
                    call(http, k * (per_client + WARM_UP) + i)
            finally:
                ready.wait()
            for i in range(WARM_UP, WARM_UP + per_client):
                t0 = time.perf_counter()
                response = call(http, k * (per_client + WARM_UP) + i)
                latencies[k].append(time.perf_counter() - t0)
                if response.status_code >= 400:
                    errors.append(f"{response.status_code} {response.text[:200]}")
            done.wait()

    threads = [threading.Thread(target=client, args=(k,), daemon=True) for k in range(CLIENTS)]
    for thread in threads:
        thread.start()
    ready.wait()
    start, cpu = time.perf_counter(), _cpu_seconds(pid) if pid else 0.0
    done.wait()
    total = time.perf_counter() - start
    cpu = (_cpu_seconds(pid) - cpu) if pid else 0.0
    for thread in threads:
        thread.join()
    if errors:
        raise RuntimeError(f"{len(errors)} benchmark requests failed, first: {errors[0]}")
    return Timing([x for each in latencies for x in each], total, cpu)


def _start_runs(base: str, per_client: int) -> list[str]:
    """``CLIENTS * (per_client + WARM_UP)`` fresh runs (started by the same clients)."""
    made: list[str] = []

    def start(http: httpx.Client, _i: int) -> httpx.Response:
        response = http.post("/api/sessions", json={"protocol_id": PROTOCOL})
        made.append(response.json()["session_id"])
        return response

    _load(base, start, per_client)
    return made


def _measure(db: str) -> tuple[Timing, Timing, Timing]:
    """Health (logged in), a step, and health without a login, in alternating rounds."""
    per_client = REQUESTS // CLIENTS // ROUNDS
    health, steps, bare = Timing(), Timing(), Timing()
    with _server(db) as (base, pid):
        fresh: Iterator[str] = iter(())
        take = threading.Lock()

        def answer(http: httpx.Client, _i: int) -> httpx.Response:
            with take:  # every answer goes to a run of its own, at its first step
                sid = next(fresh)
            return http.post(f"/api/sessions/{sid}/answers", json=ANSWER)

        for _ in range(ROUNDS):
            health.add(_load(base, lambda http, _i: http.get("/api/health"), per_client, pid=pid))
            fresh = iter(_start_runs(base, per_client))  # started just before, as at the table
            steps.add(_load(base, answer, per_client, pid=pid))
            bare.add(
                _load(
                    base, lambda http, _i: http.get("/api/health"), per_client, login=False, pid=pid
                )
            )
    return health, steps, bare


def _rows(label: str, health: Timing, steps: Timing, bare: Timing) -> list[Result]:
    note = (
        f"step p50 {steps.quantile(50):.1f} ms, p99 {steps.quantile(99):.1f} ms, "
        f"server CPU {steps.cpu_ms:.2f} ms; health p50 {health.quantile(50):.1f} ms, "
        f"p99 {health.quantile(99):.1f} ms, server CPU {health.cpu_ms:.2f} ms "
        f"(without a login: p99 {bare.quantile(99):.1f} ms, CPU {bare.cpu_ms:.2f} ms); "
        f"{CLIENTS} clients, {steps.count} requests each"
    )
    return [
        Result(
            name=f"web {label}: record a step, p99 latency",
            unit="1/p99 s",
            subject=1000 / steps.quantile(99),
            baseline=1000 / health.quantile(99),
            baseline_name="GET /api/health (ratio = health p99 / step p99; >= 0.5 is within 2x)",
            note=note,
        ),
        Result(
            name=f"web {label}: record a step, throughput",
            unit="requests/s",
            subject=steps.rate,
            baseline=health.rate,
            baseline_name="GET /api/health",
            note=f"{CLIENTS} clients",
        ),
    ]


def run() -> list[Result]:
    rows: list[Result] = []
    with tempfile.TemporaryDirectory() as tmp:
        rows += _rows("SQLite", *_measure(f"sqlite:///{Path(tmp) / 'bench.sqlite'}"))
    if os.environ.get("STENTGUIDE_BENCH_PG", "1") != "0":
        with _pg_schema() as url:
            rows += _rows("PostgreSQL", *_measure(url))
    return rows
