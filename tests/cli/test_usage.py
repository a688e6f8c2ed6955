"""Mistakes a newcomer makes get one line, exit 2, and nothing half-done."""

from __future__ import annotations

import socket
from pathlib import Path

from tests.conftest import CliRun


def _one_line(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("error: "), stderr
    return lines[0]


def test_usage_errors_are_one_line_without_validation_jargon(cli: CliRun) -> None:
    bad_format = cli("score", "list", "--format", "xml")
    assert bad_format.returncode == 2
    line = _one_line(bad_format.stderr)
    assert "'xml' is not one of 'text', 'json'" in line and "Value error" not in line
    missing = cli("devices", "inflate", "balloon 1.5x12 SC")
    assert missing.returncode == 2
    assert "Missing option '--pressure'" in _one_line(missing.stderr)


def test_a_short_list_of_choices_is_given_whole(cli: CliRun) -> None:
    out = cli("cases", "stats", "--by", "month")
    assert out.returncode == 2
    assert "one of: none, year, operator, access" in _one_line(out.stderr)


def test_a_device_role_typo_is_refused(cli: CliRun) -> None:
    out = cli("run", "partial-stent-loss", "--no-store", "--device", "guid=Launcher 6F")
    assert out.returncode == 2
    line = _one_line(out.stderr)
    assert "devices.guid" in line and "did you mean guide?" in line


def test_a_db_typo_creates_nothing(cli: CliRun, tmp_path: Path) -> None:
    real = tmp_path / "registry-real.sqlite"
    assert cli("db", "upgrade", "--db", f"sqlite:///{real}").returncode == 0
    typo = tmp_path / "registry-rael.sqlite"
    for args in (("cases", "list"), ("db", "status"), ("run", "partial-stent-loss")):
        out = cli(*args, "--db", f"sqlite:///{typo}", input="q\n")
        assert out.returncode == 2, (args, out.stderr)
        assert "did you mean registry-real.sqlite?" in out.stderr
        assert not typo.exists()


def test_a_busy_port_is_one_line_before_anything_is_served(cli: CliRun) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        out = cli("serve", "--port", str(port))
    assert out.returncode == 1
    assert "already in use" in _one_line(out.stderr)
    assert "stentguide on http" not in out.stderr + out.stdout
