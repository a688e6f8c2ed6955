"""The curated public surface of ``import stentguide``."""

from __future__ import annotations

import inspect
import subprocess
import sys

import stentguide


def test_all_lists_exactly_the_public_names() -> None:
    public = {
        n
        for n in dir(stentguide)
        if not n.startswith("_") and not inspect.ismodule(getattr(stentguide, n))
    }
    assert set(stentguide.__all__) == (public - {"annotations", "Any"}) | {"__version__"}
    assert stentguide.__all__ == sorted(stentguide.__all__)


def test_every_public_name_resolves() -> None:
    for name in stentguide.__all__:
        assert getattr(stentguide, name) is not None


def test_import_is_cheap() -> None:
    code = (
        "import sys, stentguide; "
        "heavy = [m for m in ('polars', 'pandas', 'sqlalchemy', 'fastapi', 'weasyprint') "
        "if m in sys.modules]; print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_quick_start() -> None:
    session = stentguide.start("partial-stent-loss").record("check-act", "adequate")
    assert session.current.id == "balloon-position"  # the mechanism is asked for the record
    assert [q.id for q in session.pending_record] == ["mechanism"]
    assert "clinical judgement" in stentguide.DISCLAIMER
