"""A registry field is declared once, in ``CaseIn``: files, the docs and the form follow it."""

from __future__ import annotations

import json
import re
from pathlib import Path

import polars as pl
import pytest

from stentguide.cases import CaseIn, Registry
from stentguide.cases.exchange import COLUMNS, export_archive, export_table, import_table
from stentguide.errors import InputError
from tests.cases.conftest import make_case

DOCS = Path(__file__).resolve().parents[2] / "docs" / "registry.md"
DECLARED = tuple(CaseIn.model_fields)


@pytest.fixture
def exported(tmp_path: Path) -> Path:
    with Registry.open(f"sqlite:///{tmp_path / 'source.sqlite'}") as registry:
        loss = {"kind": "stent_loss", "technique": "snare", "success": True}
        registry.cases.add(make_case(complications=[loss]), actor="a")
        path = tmp_path / "cases.csv"
        export_table(registry, path)
    return path


def test_the_columns_are_the_declared_fields() -> None:
    assert COLUMNS == DECLARED


@pytest.mark.parametrize("suffix", ["csv", "parquet"])
def test_an_export_has_every_declared_field_as_a_column(tmp_path: Path, suffix: str) -> None:
    with Registry.open(f"sqlite:///{tmp_path / 'r.sqlite'}") as registry:
        registry.cases.add(make_case(), actor="a")
        path = tmp_path / f"cases.{suffix}"
        export_table(registry, path)
        archive = tmp_path / "cases.json"
        export_archive(registry, archive)
    read = pl.read_csv if suffix == "csv" else pl.read_parquet
    assert tuple(read(path).columns) == DECLARED
    entry = json.loads(archive.read_text(encoding="utf-8"))["cases"][0]
    assert set(entry) == {*DECLARED, "runs"}


@pytest.mark.parametrize("column", [c for c in DECLARED if c != "uid"])
def test_a_file_missing_a_declared_column_is_refused_naming_it(
    exported: Path, tmp_path: Path, column: str
) -> None:
    path = tmp_path / "short.csv"
    pl.read_csv(exported, infer_schema=False).drop(column).write_csv(path)
    with Registry.open(f"sqlite:///{tmp_path / 'target.sqlite'}") as target:
        with pytest.raises(InputError) as caught:
            import_table(target, path, actor="b")
        assert caught.value.problems == {column: "column is missing"}
        assert target.cases.count() == 0


def test_a_file_with_an_undeclared_column_is_refused_naming_it(
    exported: Path, tmp_path: Path
) -> None:
    path = tmp_path / "long.csv"
    frame = pl.read_csv(exported, infer_schema=False)
    frame.with_columns(pl.lit("Smith").alias("surname")).write_csv(path)
    with Registry.open(f"sqlite:///{tmp_path / 'target.sqlite'}") as target:
        with pytest.raises(InputError) as caught:
            import_table(target, path, actor="b")
        assert caught.value.problems == {"surname": "not a field of a registry case"}
        assert target.cases.count() == 0


def test_a_hand_made_file_may_leave_out_the_generated_uid(exported: Path, tmp_path: Path) -> None:
    path = tmp_path / "no-uid.csv"
    pl.read_csv(exported, infer_schema=False).drop("uid").write_csv(path)
    with Registry.open(f"sqlite:///{tmp_path / 'target.sqlite'}") as target:
        assert import_table(target, path, actor="b") == 1


def test_every_declared_field_is_documented_with_its_declaration() -> None:
    text = DOCS.read_text(encoding="utf-8")
    table = dict(re.findall(r"^\| `([a-z_]+)` \| ([^|]+?) \|", text, re.M))
    assert set(table) == set(DECLARED), "docs/registry.md: the field table lists CaseIn's fields"
    for name, info in CaseIn.model_fields.items():
        assert info.title and info.description, f"CaseIn.{name} needs a title and a description"
        assert table[name] == info.title, name
        assert info.description in text, name
