"""The terminal runner under a real pseudo-terminal of 80x24: keystrokes, Ctrl-C, resume."""

from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import signal
import struct
import sys
import termios
import time
from pathlib import Path

from stentguide.cases import Registry

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07")


class Terminal:
    """``stentguide ARGS`` in a pseudo-terminal of 80 columns and 24 rows."""

    def __init__(self, tmp_path: Path, *args: str) -> None:
        env = {
            **os.environ,
            "COLUMNS": "80",
            "LINES": "24",
            "TERM": "xterm",
            "STENTGUIDE_DB": f"sqlite:///{tmp_path / 'registry.sqlite'}",
            "STENTGUIDE_ACTOR": "tester",
        }
        env.pop("NO_COLOR", None)
        self.pid, self.fd = pty.fork()
        if self.pid == 0:  # the child: the pty is its controlling terminal
            os.chdir(tmp_path)
            os.execve(sys.executable, [sys.executable, "-m", "stentguide", *args], env)
        fcntl.ioctl(self.fd, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
        self.output = ""

    def read_until(self, text: str, timeout: float = 60) -> str:
        deadline = time.monotonic() + timeout
        while text not in self.screen_text():
            left = deadline - time.monotonic()
            assert left > 0, f"{text!r} never appeared; output:\n{self.screen_text()[-2000:]}"
            ready, _, _ = select.select([self.fd], [], [], min(left, 1.0))
            if ready:
                try:
                    chunk = os.read(self.fd, 65536)
                except OSError:
                    break
                if not chunk:
                    break
                self.output += chunk.decode("utf-8", "replace")
        return self.screen_text()

    def screen_text(self) -> str:
        return ANSI.sub("", self.output).replace("\r\n", "\n").replace("\r", "\n")

    def press(self, keys: str) -> None:
        self.output = ""
        os.write(self.fd, keys.encode())

    def wait(self) -> int:
        for _ in range(600):
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                return os.waitstatus_to_exitcode(status)
            try:
                ready, _, _ = select.select([self.fd], [], [], 0.1)
                if ready:
                    self.output += os.read(self.fd, 65536).decode("utf-8", "replace")
            except OSError:
                time.sleep(0.1)
        os.kill(self.pid, signal.SIGKILL)
        raise AssertionError("the runner did not exit")


def test_first_action_in_one_keystroke_on_an_80x24_screen_and_ctrl_c_saves(
    tmp_path: Path,
) -> None:
    term = Terminal(tmp_path, "run", "partial-stent-loss")
    screen = term.read_until("Choose 1-2")  # no keystroke: the first action, check the ACT
    step = screen[screen.rindex("ACTION") :].splitlines()
    assert len(step) <= 24 - 1 and "ACT" in " ".join(step)
    term.press("1")  # one keystroke, no Enter
    term.read_until("Key messages read and acted on? [y/n]")
    term.press("x")
    term.read_until("Type y or n.")
    term.press("y")
    term.read_until("Where are the balloon and the wire?")
    term.read_until("Choose 1-3")
    term.press("1")  # the balloon is still partly inside the stent
    screen = term.read_until("Choose 1-3")
    step = screen[screen.rindex("ACTION") :].splitlines()
    assert len(step) <= 24 - 1, "\n".join(step)  # the panel and its prompt fit the screen
    assert all(len(line) <= 80 for line in screen.splitlines())
    shown = " ".join(step)
    assert "3 atm" in shown and "Inflate the stent's own delivery balloon" in shown
    assert "Did the stent enter the guiding catheter?" in shown
    term.press("\x03")  # Ctrl-C
    code = term.wait()
    out = term.screen_text()
    assert code == 130, out
    match = re.search(r"Resume with: stentguide run --resume ([0-9a-f]{32})", out)
    assert match, out
    with Registry.open(f"sqlite:///{tmp_path / 'registry.sqlite'}") as registry:
        stored = registry.runs.load(match.group(1))
        assert [e.type for e in stored.events].count("answered") == 2
    again = Terminal(tmp_path, "run", "--resume", match.group(1))
    screen = again.read_until("Choose 1-3")
    assert "Inflate the stent" in screen
    again.press("q")
    assert again.wait() == 0


def test_ctrl_c_without_the_registry_saves_a_file_it_names(tmp_path: Path) -> None:
    term = Terminal(tmp_path, "run", "stent-undeliverable", "--no-store")
    term.read_until("Choose 1-")
    term.press("\x03")
    assert term.wait() == 130
    out = term.screen_text()
    match = re.search(r"saved in (stentguide-run-[0-9a-f]{8}\.json)", out)
    assert match, out
    assert (tmp_path / match.group(1)).exists()
    assert f"stentguide run --resume {match.group(1)}" in out
