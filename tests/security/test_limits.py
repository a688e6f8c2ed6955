"""Request size limits, attacked on a live server process over SQLite and PostgreSQL.

The attack of the report: a body of tens of MiB, with or without a length,
sent without a login, or as an import upload. Each is now refused with 413
before it is read, and the server process's resident memory grows by less than
50 MiB over the whole attack (read from /proc for the server's own process).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from stentguide.cases import Registry
from tests.security.conftest import raw_request, rss_bytes
from tests.web.live import free_port
from tests.web_cases.conftest import PASSWORD, SECRET, csrf_of, login

MIB = 1024 * 1024


@dataclass
class Process:
    url: str
    pid: int


@pytest.fixture(scope="module")
def server_process(
    database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Process]:
    """``stentguide serve`` in its own process, with one operator."""
    log = tmp_path_factory.mktemp("serve") / "stderr.txt"
    with Registry.open(database_url) as registry:
        registry.users.create("otto", PASSWORD, "operator", actor="setup")
    port = free_port()
    env = {**os.environ, "STENTGUIDE_SECRET_KEY": SECRET}
    with log.open("w") as stderr:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "stentguide",
                "serve",
                "--port",
                str(port),
                "--db",
                database_url,
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{url}/api/health", timeout=5).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the server did not start: {log.read_text()}")
            time.sleep(0.1)
        yield Process(url=url, pid=proc.pid)
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def _upload_prefix(csrf: str, boundary: str) -> bytes:
    return (
        f"--{boundary}\r\n"
        'Content-Disposition: form-data; name="csrf_token"\r\n\r\n'
        f"{csrf}\r\n"
        f"--{boundary}\r\n"
        'Content-Disposition: form-data; name="file"; filename="cases.csv"\r\n'
        "Content-Type: text/csv\r\n\r\n"
    ).encode()


def test_large_bodies_are_refused_before_they_are_read(server_process: Process) -> None:
    url = server_process.url
    with httpx.Client(base_url=url, timeout=60, follow_redirects=False) as operator:
        assert login(operator, "otto").status_code == 303
        csrf = csrf_of(operator.get("/cases/import").text)
        cookie = "; ".join(f"{k}={v}" for k, v in operator.cookies.items())
        # warm up: every code path the attack takes runs once before the baseline
        operator.post("/api/sessions", json={"protocol_id": "nope"})
        before = rss_bytes(server_process.pid)
        for _round in range(3):
            # 20 MiB JSON without a login, with a length: refused at once
            status, headers, body, sent = raw_request(
                url,
                "POST",
                "/api/sessions",
                body_size=20 * MIB,
                headers={"Content-Type": "application/json"},
            )
            assert status == 413 and "at most 1 MiB" in json.loads(body)["detail"]
            assert sent < 20 * MIB
            assert headers["cache-control"] == "no-store"
            # the same without a length (chunked): refused once past the limit
            status, _h, body, sent = raw_request(
                url,
                "POST",
                "/api/sessions",
                body_size=20 * MIB,
                chunked=True,
                headers={"Content-Type": "application/json"},
            )
            assert status == 413 and sent < 20 * MIB
            # an import upload over the 20 MiB cap, declared: refused at once
            boundary = "b0undary"
            prefix = _upload_prefix(csrf, boundary)
            upload_headers = {
                "Content-Type": f"multipart/form-data; boundary={boundary}",
                "Cookie": cookie,
            }
            status, _h, body, sent = raw_request(
                url,
                "POST",
                "/cases/import",
                body_size=30 * MIB,
                headers=upload_headers,
                prefix=prefix,
            )
            assert status == 413 and sent < 30 * MIB
            # and streamed without a length: spooled to disk, refused at the cap
            status, _h, body, sent = raw_request(
                url,
                "POST",
                "/cases/import",
                body_size=30 * MIB,
                chunked=True,
                headers=upload_headers,
                prefix=prefix,
            )
            assert status == 413, body[:300]
            assert b"too large" in body and sent < 30 * MIB
        growth = rss_bytes(server_process.pid) - before
        assert growth < 50 * MIB, f"the server grew by {growth / MIB:.1f} MiB"
        assert operator.get("/api/health").status_code == 200


def test_error_lists_are_cut_with_a_count(server_process: Process) -> None:
    bad = {f"key{i}": i for i in range(20_000)}
    with httpx.Client(base_url=server_process.url, timeout=60) as operator:
        assert login(operator, "otto").status_code == 303  # runs need a login
        answer = operator.post("/api/sessions", json=bad)
    assert answer.status_code == 422
    detail = answer.json()["detail"]
    assert len(detail) == 51
    assert re.fullmatch(r"and \d+ more problem\(s\) not listed", detail[-1]["msg"])
    assert len(answer.content) < 20_000
