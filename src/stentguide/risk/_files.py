"""Reading and writing batch files (CSV or Parquet) for scoring a registry."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import polars as pl

from stentguide.errors import InputError
from stentguide.risk._api import Progress, score_frame_with_rejects
from stentguide.risk._catalog import get_spec
from stentguide.risk._units import alternatives_for, column_alias

__all__ = ["FileReport", "read_table", "score_file", "write_table"]

_FORMATS = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet"}


@dataclass(frozen=True)
class FileReport:
    """What a file run did: rows read, rows scored, problems found, where rejects went."""

    rows: int
    scored: int
    problems: int
    rejects_path: Path | None


def _format(path: Path) -> str:
    fmt = _FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise InputError(f"{path.name}: unsupported file type (use .csv or .parquet)")
    return fmt


def read_table(path: Path, text_columns: list[str] | None = None) -> pl.DataFrame:
    """Read a CSV or Parquet file; ``text_columns`` of a CSV are read as text and parsed later."""
    fmt = _format(path)
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    try:
        if fmt == "parquet":
            return pl.read_parquet(path)
        header = pl.read_csv(path, n_rows=0).columns
        overrides = {c: pl.String for c in (text_columns or []) if c in header}
        return pl.read_csv(path, schema_overrides=overrides, infer_schema_length=10_000)
    except (pl.exceptions.PolarsError, OSError) as exc:
        raise InputError(f"{path.name}: cannot be read: {exc}") from exc


def write_table(frame: pl.DataFrame, path: Path) -> None:
    """Write a frame as CSV or Parquet, by the file's extension."""
    fmt = _format(path)
    try:
        if fmt == "parquet":
            frame.write_parquet(path)
        else:
            frame.write_csv(path)
    except (pl.exceptions.PolarsError, OSError) as exc:
        raise InputError(f"{path.name}: cannot be written: {exc}") from exc


def score_file(
    name: str,
    input_path: Path,
    output_path: Path,
    params: Mapping[str, Any] | None = None,
    *,
    rejects_path: Path | None = None,
    progress: Progress | None = None,
) -> FileReport:
    """Score a CSV/Parquet file into another; without ``rejects_path`` any bad row stops the run.

    The score's input columns of a CSV are read as text and parsed by the scorer, so
    a bad cell becomes a reported problem with its row number, not a read failure.
    """
    _format(output_path)
    if rejects_path is not None:
        _format(rejects_path)
    spec = get_spec(name)
    names = [v.name for v in spec.variables]
    names += [
        column_alias(n, a) for n in names for a in getattr(alternatives_for(n), "alternatives", [])
    ]
    frame = read_table(input_path, names)
    invalid: Literal["raise", "skip"] = "skip" if rejects_path is not None else "raise"
    scored, rejects = score_frame_with_rejects(
        name, frame, params, invalid=invalid, progress=progress
    )
    write_table(scored, output_path)
    if rejects_path is not None:
        write_table(rejects, rejects_path)
    return FileReport(
        rows=frame.height,
        scored=scored.height,
        problems=rejects.height,
        rejects_path=rejects_path,
    )
