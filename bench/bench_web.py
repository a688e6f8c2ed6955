"""The step-recording endpoint under a bounded local load, against /api/health of the same app.

The server runs as its own process (``stentguide serve`` on 127.0.0.1, a
temporary SQLite registry); this process is the client, one keep-alive
connection, a fixed number of requests. Recording a step replays the stored
session, runs the engine and appends to the registry in one transaction, so
its rate is compared with the trivial health check measured in the same run.
"""

from __future__ import annotations

import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import httpx

from bench._common import Result
from stentguide.cases import Registry
from stentguide.cases.tokens import TokenSigner
from stentguide.cases.users import Role, UserStore
from stentguide.web.settings import SECRET_KEY_ENV

REQUESTS = 200


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


def _timed(calls: list[Callable[[], httpx.Response]]) -> tuple[float, float, float]:
    """Requests per second, p50 and p99 latency (ms) of ``calls`` run one after another."""
    latencies = []
    start = time.perf_counter()
    for call in calls:
        t0 = time.perf_counter()
        response = call()
        latencies.append(time.perf_counter() - t0)
        if response.status_code >= 400:
            raise RuntimeError(f"benchmark request failed: {response.status_code} {response.text}")
    total = time.perf_counter() - start
    cuts = statistics.quantiles(latencies, n=100)
    return len(calls) / total, cuts[49] * 1000, cuts[98] * 1000


def run() -> list[Result]:
    with tempfile.TemporaryDirectory() as tmp:
        port = _free_port()
        db = f"sqlite:///{Path(tmp) / 'bench.sqlite'}"
        secret = "b" * 48
        with Registry.open(db) as registry:  # runs need an operator's login
            UserStore(registry).create("bench", "bench password 1", Role.operator, actor="bench")
        cookie = {"stentguide_session": TokenSigner(secret).session_token("bench")}
        proc = subprocess.Popen(
            [sys.executable, "-m", "stentguide", "serve", "--port", str(port), "--db", db],
            env={**os.environ, "NO_COLOR": "1", SECRET_KEY_ENV: secret},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            _wait(base + "/api/health", proc)
            with httpx.Client(base_url=base, timeout=30, cookies=cookie) as client:
                sessions = [
                    client.post(
                        "/api/sessions", json={"protocol_id": "stent-loss-wire-in-place"}
                    ).json()["session_id"]
                    for _ in range(REQUESTS)
                ]
                health = _timed([lambda: client.get("/api/health") for _ in range(REQUESTS)])
                answer = {"node": "check-act", "answer": "adequate"}
                steps = _timed(
                    [
                        (lambda sid=sid: client.post(f"/api/sessions/{sid}/answers", json=answer))
                        for sid in sessions
                    ]
                )
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    note = (
        f"p50 {steps[1]:.1f} ms, p99 {steps[2]:.1f} ms vs health p50 {health[1]:.1f} ms, "
        f"p99 {health[2]:.1f} ms; {REQUESTS} requests each"
    )
    return [
        Result(
            name="web: record a step (POST answers)",
            unit="requests/s",
            subject=steps[0],
            baseline=health[0],
            baseline_name="GET /api/health",
            note=note,
        ),
        Result(
            name="web: record a step, median latency",
            unit="1/p50 s",
            subject=1000 / steps[1],
            baseline=1000 / health[1],
            baseline_name="GET /api/health",
        ),
    ]
