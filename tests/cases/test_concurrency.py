"""Several writing processes lose nothing; a writer killed mid-transaction changes nothing."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest
import sqlalchemy as sa

from stentguide.cases import Registry
from tests.cases.conftest import make_case

ROOT = Path(__file__).resolve().parents[2]

WRITER = textwrap.dedent(
    """
    import sys, uuid
    from stentguide.cases import Registry
    from tests.cases.conftest import make_case, make_session
    url, worker, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    with Registry.open(url) as registry:
        for i in range(count):
            case = registry.cases.add(make_case(patient_id=f"W{worker}-{i}"), actor=f"w{worker}")
            registry.runs.save(make_session(events=3), actor=f"w{worker}", case_uid=case.uid)
    """
)

KILLED = textwrap.dedent(
    """
    import sys, time
    from stentguide.cases import Registry
    from tests.cases.conftest import make_case
    with Registry.open(sys.argv[1]) as registry:
        with registry.cases.batch(actor="doomed") as batch:
            for i in range(200):
                batch.add_case(make_case(patient_id=f"K-{i}"))
            print("mid-write", flush=True)
            time.sleep(120)
    """
)


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "src")])}


def test_concurrent_writer_processes_lose_nothing(db_url: str) -> None:
    Registry.open(db_url).close()
    workers, each = 4, 15
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, db_url, str(w), str(each)],
            env=_env(),
            cwd=ROOT,
            stderr=subprocess.PIPE,
            text=True,
        )
        for w in range(workers)
    ]
    for proc in procs:
        _, err = proc.communicate(timeout=180)
        assert proc.returncode == 0, err
    with Registry.open(db_url) as registry:
        assert registry.cases.count() == workers * each
        runs = registry.runs.find(limit=None)
        assert len(runs) == workers * each
        assert all(run.events == 3 for run in runs)
        assert len(registry.audit.entries(limit=10_000)) == 2 * workers * each


@pytest.mark.slow
def test_writer_killed_mid_write_leaves_database_as_before(db_url: str) -> None:
    with Registry.open(db_url) as registry:
        from tests.cases.conftest import make_case

        registry.cases.add(make_case(patient_id="BEFORE"), actor="a")
        before = registry.cases.count()
        audit_before = len(registry.audit.entries(limit=10_000))
    proc = subprocess.Popen(
        [sys.executable, "-c", KILLED, db_url],
        env=_env(),
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.strip() == "mid-write", proc.stderr.read() if proc.stderr else ""
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=30)
    with Registry.open(db_url) as registry:
        assert registry.cases.count() == before
        assert len(registry.audit.entries(limit=10_000)) == audit_before
        registry.cases.add(make_case(patient_id="AFTER"), actor="a")
        assert registry.cases.count() == before + 1


def test_writer_threads_of_one_process_lose_nothing_and_a_failed_write_blocks_none(
    db_url: str,
) -> None:
    """Threads (a web server's) queue for the write; a rolled-back write lets the next in."""
    workers, each = 6, 10
    with Registry.open(db_url) as registry:
        with pytest.raises(RuntimeError), registry.write() as conn:
            conn.execute(sa.text("SELECT 1"))
            raise RuntimeError("a write that fails half-way")
        errors: list[BaseException] = []

        def write(worker: int) -> None:
            try:
                for i in range(each):
                    registry.cases.add(make_case(patient_id=f"T{worker}-{i}"), actor=f"t{worker}")
            except BaseException as exc:  # reported below
                errors.append(exc)

        threads = [threading.Thread(target=write, args=(w,)) for w in range(workers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        assert not any(thread.is_alive() for thread in threads), "a writer waited for ever"
        assert errors == []
        assert registry.cases.count() == workers * each


def test_eight_writer_threads_reuse_their_connections(db_url: str) -> None:
    """A web server's 8 clients, busy together then idle: the connections are kept for reuse.

    With a pool smaller than the threads writing at once, the connections beyond it
    were closed whenever the threads fell idle and others opened (and set up) when
    they were busy again.
    """
    workers, each = 8, 10
    with Registry.open(db_url) as registry:
        opened: list[int] = []
        sa.event.listen(registry.engine, "connect", lambda *_: opened.append(1))
        barrier = threading.Barrier(workers)

        def write(worker: int) -> None:
            for i in range(each):  # all write at once, then all wait for the others
                barrier.wait(timeout=60)
                registry.cases.add(make_case(patient_id=f"P{worker}-{i}"), actor=f"p{worker}")

        threads = [threading.Thread(target=write, args=(w,)) for w in range(workers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        assert registry.cases.count() == workers * each
        # at most one connection per thread (and one for the count), however many writes
        assert len(opened) <= workers + 1, f"{len(opened)} connections for {workers} threads"
