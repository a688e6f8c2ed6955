"""CLI file arguments attacked with wrong encodings and a huge sparse file.

Each file a command reads is checked for size before it is read and must be
UTF-8: a binary, UTF-16 or Latin-1 file is refused with one line on stderr and
exit code 2 (no traceback), and a 1 GiB sparse file is refused by its size
without being read.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.conftest import CliRun

WRONG_ENCODINGS = {
    "binary": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)),
    "utf16": '{"answers": ["é"]}'.encode("utf-16"),
    "latin1": '["caf\u00e9 cr\u00e8me"]'.encode("latin-1"),
}

COMMANDS = {
    "run --answers": ["run", "stent-loss-wire-in-place", "--no-store", "--answers"],
    "leaflet --plan": ["leaflet", "--format", "json", "--plan"],
    "train --choices": ["train", "stent-loss-wire-lad", "--trainee", "t", "--choices"],
}


def _one_line_refusal(done: subprocess.CompletedProcess[str], *needles: str) -> None:
    assert done.returncode == 2, (done.returncode, done.stderr)
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:"), done.stderr
    assert "Traceback" not in done.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]


@pytest.mark.parametrize("command", list(COMMANDS))
@pytest.mark.parametrize("encoding", list(WRONG_ENCODINGS))
def test_a_file_in_the_wrong_encoding_is_one_line_and_exit_2(
    cli: CliRun, tmp_path: Path, command: str, encoding: str
) -> None:
    path = tmp_path / f"input-{encoding}.json"
    path.write_bytes(WRONG_ENCODINGS[encoding])
    done = cli(*COMMANDS[command], str(path))
    _one_line_refusal(done, "not UTF-8", "save it as UTF-8")


def test_an_archive_in_the_wrong_encoding_is_one_line_and_exit_2(
    cli: CliRun, tmp_path: Path
) -> None:
    path = tmp_path / "cases.json"
    path.write_bytes('{"format": "stentguide.archive/1", "cases": []}'.encode("utf-16"))
    _one_line_refusal(cli("cases", "import", str(path)), "not UTF-8")
    fhir = tmp_path / "cases.fhir.json"
    fhir.write_bytes('{"resourceType": "Bundle"}'.encode("utf-16"))
    _one_line_refusal(cli("cases", "import", str(fhir), "--format", "fhir"), "not UTF-8")


@pytest.fixture
def sparse_gib(tmp_path: Path) -> Path:
    path = tmp_path / "huge.csv"
    with path.open("wb") as handle:
        handle.write(b"a,b\n")
        handle.truncate(1024**3)
    return path


@pytest.mark.parametrize(
    "args",
    [
        ["score", "j-cto", "--output", "out.csv", "--input"],
        ["run", "stent-loss-wire-in-place", "--no-store", "--answers"],
        ["leaflet", "--format", "json", "--plan"],
        ["train", "stent-loss-wire-lad", "--trainee", "t", "--choices"],
        ["cases", "import"],
    ],
    ids=["score", "run", "leaflet", "train", "cases-import"],
)
def test_a_sparse_gigabyte_file_is_refused_by_its_size(
    cli: CliRun, sparse_gib: Path, tmp_path: Path, args: list[str]
) -> None:
    args = [str(tmp_path / a) if a == "out.csv" else a for a in args]
    done = cli(*args, str(sparse_gib))
    _one_line_refusal(done, "too large", "1024.0 MiB")
