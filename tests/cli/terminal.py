"""Running the real ``stentguide`` command under a pseudo-terminal, as a person would.

Rich draws progress bars and colours only when its stream is a terminal, so a
test through a pipe never runs that code. :func:`run_in_terminal` gives the
command a pseudo-terminal for stdin, stdout and stderr and returns everything
the terminal showed, with the exit code.
"""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class TerminalRun:
    """What a command did on a terminal: exit code and the bytes shown (both streams)."""

    returncode: int
    screen: str


def terminal_env(tmp_path: Path) -> dict[str, str]:
    """The environment of a person's terminal: colours allowed, a real TERM, a width."""
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "CI", "TERM")}
    env.update(
        {
            "TERM": "xterm-256color",
            "COLUMNS": "100",
            "LINES": "40",
            "STENTGUIDE_DB": f"sqlite:///{tmp_path / 'registry.sqlite'}",
            "STENTGUIDE_ACTOR": "tester",
        }
    )
    return env


def run_in_terminal(
    *args: str, tmp_path: Path, typed: str = "", cwd: Path | None = None, timeout: float = 600
) -> TerminalRun:
    """Run ``stentguide ARGS`` with a pseudo-terminal as its three streams."""
    master, slave = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "stentguide", *args],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=terminal_env(tmp_path),
        cwd=cwd,
        close_fds=True,
    )
    os.close(slave)
    if typed:
        os.write(master, typed.encode())
    chunks: list[bytes] = []
    deadline = time.monotonic() + timeout
    try:
        while True:
            ready, _, _ = select.select([master], [], [], 0.5)
            if ready:
                try:
                    data = os.read(master, 65536)
                except OSError:  # the terminal closed: the command has exited
                    break
                if not data:
                    break
                chunks.append(data)
            elif process.poll() is not None:
                break
            if time.monotonic() > deadline:
                process.kill()
                raise TimeoutError(f"stentguide {' '.join(args)} did not finish")
        returncode = process.wait(timeout=60)
    finally:
        os.close(master)
    return TerminalRun(returncode, b"".join(chunks).decode("utf-8", "replace"))
