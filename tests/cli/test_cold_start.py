"""A quick command imports only what it needs (the timings themselves are in bench/)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = ("polars", "numpy", "sqlalchemy", "alembic", "weasyprint", "pydantic", "yaml")
_PROBE = """
import json, sys
sys.argv = ["stentguide", *json.loads(sys.argv[1])]
from stentguide.cli import main
try:
    main()
except SystemExit:
    pass
sys.stderr.write("\\nMODULES " + json.dumps(sorted(sys.modules)) + "\\n")
"""


def _imported(*args: str) -> set[str]:
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, json.dumps(args)],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    line = done.stderr.rsplit("MODULES ", 1)[1]
    return {name.split(".")[0] for name in json.loads(line)}


@pytest.mark.parametrize(
    "args",
    [("--help",), ("-h",), ("--version",), ("score", "list"), ("protocols", "list")],
    ids=" ".join,
)
def test_quick_commands_import_no_heavy_package(args: tuple[str, ...]) -> None:
    assert _imported(*args).isdisjoint(HEAVY)


def test_the_probe_sees_a_heavy_import() -> None:
    assert {"numpy", "polars"} <= _imported("score", "j-cto")
