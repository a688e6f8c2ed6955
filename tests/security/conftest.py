"""Live servers over SQLite and PostgreSQL for the attack tests, and a raw HTTP sender.

``live`` is the real app under uvicorn in a thread (``tests.web_cases.conftest.serve``:
a viewer, an operator, an admin and some cases), once per module and database;
``raw_request`` talks HTTP over a socket so that a test can send a body larger
than the server accepts and still read the refusal.
"""

from __future__ import annotations

import os
import select
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa

from tests.conftest import PG_URL
from tests.web_cases.conftest import Live, serve

DATABASES = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
]


def pg_schema_url() -> tuple[str, sa.Engine, str]:
    """A fresh schema on the test PostgreSQL server: its URL, the admin engine, its name."""
    if os.environ.get("STENTGUIDE_SKIP_PG") == "1":
        pytest.skip("STENTGUIDE_SKIP_PG=1")
    admin = sa.create_engine(PG_URL)
    schema = f"t_{uuid.uuid4().hex[:16]}"
    with admin.begin() as conn:
        conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
    url = sa.engine.make_url(PG_URL).update_query_dict({"options": f"-csearch_path={schema}"})
    return url.render_as_string(hide_password=False), admin, schema


def drop_schema(admin: sa.Engine, schema: str) -> None:
    with admin.begin() as conn:
        conn.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
    admin.dispose()


@pytest.fixture(scope="module", params=DATABASES)
def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A registry URL on SQLite, then on PostgreSQL (one per module and database)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('security') / 'registry.sqlite'}"
        return
    url, admin, schema = pg_schema_url()
    try:
        yield url
    finally:
        drop_schema(admin, schema)


@pytest.fixture(scope="module")
def live(database_url: str) -> Iterator[Live]:
    with serve(database_url) as server:
        yield server


def raw_request(
    base_url: str,
    method: str,
    path: str,
    *,
    body_size: int,
    chunked: bool = False,
    headers: dict[str, str] | None = None,
    prefix: bytes = b"",
    timeout: float = 60,
) -> tuple[int, dict[str, str], bytes, int]:
    """Send ``body_size`` bytes to ``path``, stopping as soon as the server answers.

    Returns the status, the headers, the body of the answer and how many body
    bytes were sent before it came.
    """
    parts = urlsplit(base_url)
    lines = [f"{method} {path} HTTP/1.1", f"Host: {parts.netloc}", "Connection: close"]
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    total = body_size + len(prefix)
    lines.append("Transfer-Encoding: chunked" if chunked else f"Content-Length: {total}")
    sent = 0
    chunk = b"x" * 65536
    with socket.create_connection((parts.hostname, parts.port), timeout=timeout) as sock:
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        if prefix:
            sock.sendall(f"{len(prefix):x}\r\n".encode() + prefix + b"\r\n" if chunked else prefix)
        while sent < body_size:
            readable, _w, _x = select.select([sock], [], [], 0)
            if readable:
                break
            piece = chunk[: min(len(chunk), body_size - sent)]
            try:
                if chunked:
                    sock.sendall(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
                else:
                    sock.sendall(piece)
            except (BrokenPipeError, ConnectionResetError):
                break
            sent += len(piece)
        else:
            if chunked:
                sock.sendall(b"0\r\n\r\n")
        received = b""
        while b"\r\n\r\n" not in received or not _complete(received):
            try:
                data = sock.recv(65536)
            except ConnectionResetError:
                break
            if not data:
                break
            received += data
    head, _sep, content = received.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    answer_headers = {
        k.strip().lower(): v.strip() for k, _s, v in (h.partition(":") for h in header_lines)
    }
    return int(status_line.split()[1]), answer_headers, content, sent


def _complete(received: bytes) -> bool:
    head, _sep, content = received.partition(b"\r\n\r\n")
    for line in head.split(b"\r\n"):
        name, _s, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return len(content) >= int(value.strip())
    return False


def rss_bytes(pid: int) -> int:
    """The resident memory of a process, from /proc."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError(f"no VmRSS for process {pid}")
