"""``stentguide leaflet`` end to end, through the real entry point."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

from pypdf import PdfReader

from stentguide.leaflets import LEAFLET_PAGES
from tests.conftest import CliRun
from tests.leaflets.plans import BASE_PLAN


def _plan_file(tmp_path: Path, data: Any) -> Path:
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_help(cli: CliRun) -> None:
    result = cli("leaflet", "--help")
    assert result.returncode == 0
    for option in ("--plan", "--lang", "--format", "--output"):
        assert option in result.stdout


def test_pdf_in_french(cli: CliRun, tmp_path: Path) -> None:
    out = tmp_path / "leaflet.pdf"
    plan = _plan_file(tmp_path, BASE_PLAN)
    args = ["--plan", str(plan), "--lang", "fr", "--format", "pdf", "--output", str(out)]
    result = cli("leaflet", *args)
    assert result.returncode == 0, result.stderr
    reader = PdfReader(io.BytesIO(out.read_bytes()))
    assert len(reader.pages) == LEAFLET_PAGES
    first = " ".join((reader.pages[0].extract_text() or "").split())
    assert "31 janvier 2025" in first
    assert "Anne-Laure" in first


def test_html_to_stdout_and_language_from_plan(cli: CliRun, tmp_path: Path) -> None:
    plan = _plan_file(tmp_path, BASE_PLAN)
    result = cli("leaflet", "--plan", str(plan), "--format", "html")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("<!DOCTYPE html>")
    assert '<html lang="en">' in result.stdout
    assert "31 July 2025" in result.stdout


def test_json_shows_the_checked_plan_and_dates(cli: CliRun, tmp_path: Path) -> None:
    plan = _plan_file(tmp_path, {**BASE_PLAN, "procedure_date": "2025-08-31"})
    result = cli("leaflet", "--plan", str(plan), "--format", "json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["plan"]["access"] == "radial"
    assert data["medicines"][0] == {"medicine": "aspirin", "months": None, "stop_date": None}
    assert data["medicines"][1]["stop_date"] == "2026-02-28"


def test_incomplete_plan_names_each_field(cli: CliRun, tmp_path: Path) -> None:
    data = {k: v for k, v in BASE_PLAN.items() if k not in {"access", "language"}}
    plan = _plan_file(tmp_path, {**data, "antiplatelet_months": 18})
    result = cli("leaflet", "--plan", str(plan), "--output", str(tmp_path / "x.pdf"))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    for field in ("access", "language", "antiplatelet_months"):
        assert field in lines[0]
    assert not (tmp_path / "x.pdf").exists()


def test_bad_language_option(cli: CliRun, tmp_path: Path) -> None:
    plan = _plan_file(tmp_path, BASE_PLAN)
    result = cli("leaflet", "--plan", str(plan), "--lang", "de", "--format", "html")
    assert result.returncode == 2
    assert "language" in result.stderr


def test_unreadable_and_malformed_plan(cli: CliRun, tmp_path: Path) -> None:
    missing = cli("leaflet", "--plan", str(tmp_path / "none.json"), "--format", "html")
    assert missing.returncode == 2 and "plan" in missing.stderr
    broken = tmp_path / "broken.json"
    broken.write_text("{not json", encoding="utf-8")
    result = cli("leaflet", "--plan", str(broken), "--format", "html")
    assert result.returncode == 2
    assert "not valid JSON" in result.stderr
    listed = _plan_file(tmp_path, ["radial"])
    assert cli("leaflet", "--plan", str(listed), "--format", "html").returncode == 2
