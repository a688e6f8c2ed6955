"""Reading and writing batch files (CSV or Parquet) for scoring a registry.

:func:`score_file` streams: the input is read in record batches (pyarrow's CSV
stream reader or a Parquet file's row groups), each batch is scored by the same
validation and evaluation as :func:`~stentguide.risk.score_frame`, and the scored
rows and the rejects are appended to their files as they come. Peak memory is a
few batches, whatever the number of rows.

A CSV's score columns are typed by the reader (true/false, numbers), so a clean
file is parsed once at reader speed. A file the typed reader cannot take (a word
in a number column, a column whose type changes after the first block) is read
again with every column as text: each bad cell then becomes a reported problem
with its row number, exactly as before, not a read failure.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import polars as pl
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from stentguide.errors import InputError
from stentguide.progress import Progress
from stentguide.risk._batch import batch_error, empty_rejects, score_frame_with_rejects
from stentguide.risk._catalog import get_spec
from stentguide.risk._model import ScoreSpec
from stentguide.risk._units import alternatives_for, column_alias

__all__ = ["BLOCK_BYTES", "FileReport", "read_table", "score_file", "write_table"]

_FORMATS = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet"}
BLOCK_BYTES = 1 << 20  # CSV bytes per batch (about 30k rows of a six-column file)
_PARQUET_BATCH_ROWS = 32_768
_SHOWN = 20
# the words a CSV cell may use for a yes/no input (as the text parser accepts them)
_TRUE = ["true", "True", "TRUE", "t", "T", "yes", "Yes", "YES", "y", "Y", "1"]
_FALSE = ["false", "False", "FALSE", "f", "F", "no", "No", "NO", "n", "N", "0"]


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


class _Sink:
    """Frames appended to a CSV or Parquet file, written beside it and moved in on success."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.fmt = _format(path)
        self.partial = path.with_name(f".{path.name}.partial")
        self._handle: IO[bytes] | None = None
        self._parquet: pq.ParquetWriter | None = None
        self._schema: pa.Schema | None = None

    def write(self, frame: pl.DataFrame) -> None:
        try:
            if self.fmt == "csv":
                first = self._handle is None
                if self._handle is None:
                    self._handle = self.partial.open("wb")
                frame.write_csv(self._handle, include_header=first)
                return
            table = frame.to_arrow()
            if self._parquet is None:
                self._schema = table.schema
                self._parquet = pq.ParquetWriter(self.partial, table.schema)
            elif not table.schema.equals(self._schema):
                table = table.cast(self._schema)
            self._parquet.write_table(table)
        except (pl.exceptions.PolarsError, pa.ArrowException, OSError) as exc:
            raise InputError(f"{self.path.name}: cannot be written: {exc}") from exc

    def commit(self) -> None:
        self._close()
        os.replace(self.partial, self.path)

    def abort(self) -> None:
        self._close()
        with contextlib.suppress(FileNotFoundError):
            self.partial.unlink()

    def _close(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None
        if self._parquet is not None:
            self._parquet.close()
            self._parquet = None


def _input_names(spec: ScoreSpec) -> tuple[dict[str, pa.DataType], list[str]]:
    """The score's columns with the type a CSV reader gives them, and their unit aliases."""
    kinds = {"bool": pa.bool_(), "category": pa.string()}
    types = {v.name: kinds.get(v.type, pa.float64()) for v in spec.variables}
    aliases = [
        column_alias(v.name, a)
        for v in spec.variables
        for a in getattr(alternatives_for(v.name), "alternatives", [])
    ]
    for alias in aliases:
        types[alias] = pa.float64()
    return types, aliases


class _Reader:
    """Record batches of a CSV or Parquet file, with a row-count estimate for progress."""

    def __init__(self, path: Path, fmt: str, types: Mapping[str, pa.DataType], text: bool):
        self.total = 0
        self._size = max(path.stat().st_size, 1)
        self._stream: Any = None
        if fmt == "parquet":
            parquet = pq.ParquetFile(path)
            self.total = parquet.metadata.num_rows
            self.schema: pa.Schema = parquet.schema_arrow
            self._batches: Iterator[pa.RecordBatch] = parquet.iter_batches(_PARQUET_BATCH_ROWS)
            return
        header = pl.read_csv(path, n_rows=0).columns
        column_types = (
            dict.fromkeys(header, pa.string())
            if text
            else {c: t for c, t in types.items() if c in header}
        )
        self._stream = path.open("rb")
        try:
            reader = self._open_csv(column_types)
            # dates and times stay text, as a CSV's other columns were read before
            temporal = {
                f.name: pa.string()
                for f in reader.schema
                if pa.types.is_temporal(f.type) and f.name not in column_types
            }
            if temporal:
                self._stream.close()
                self._stream = path.open("rb")
                reader = self._open_csv({**column_types, **temporal})
        except BaseException:
            self.close()
            raise
        self.schema = reader.schema
        self._batches = iter(reader)

    def _open_csv(self, column_types: dict[str, pa.DataType]) -> pacsv.CSVStreamingReader:
        return pacsv.open_csv(
            self._stream,
            read_options=pacsv.ReadOptions(block_size=BLOCK_BYTES),
            convert_options=pacsv.ConvertOptions(
                column_types=column_types,
                true_values=_TRUE,
                false_values=_FALSE,
                null_values=[""],
                strings_can_be_null=True,
                quoted_strings_can_be_null=True,
            ),
        )

    def __iter__(self) -> Iterator[pa.RecordBatch]:
        return self._batches

    def estimate(self, done: int) -> int:
        if self._stream is None or self._stream.closed:
            return int(self.total)
        consumed = max(self._stream.tell(), 1)
        return max(done, int(done * self._size // consumed))

    def close(self) -> None:
        if self._stream is not None:
            self._stream.close()
            self._stream = None


@dataclass
class _Tally:
    rows: int = 0
    scored: int = 0
    problems: int = 0
    bad_rows: int = 0
    shown: pl.DataFrame | None = None


def _stream(
    name: str,
    reader: _Reader,
    sink: _Sink,
    rejects: _Sink | None,
    params: Mapping[str, Any] | None,
    progress: Progress | None,
) -> _Tally:
    tally = _Tally()
    keep_rows = rejects is not None
    batches: Iterator[pa.RecordBatch] = iter(reader)
    first = next(batches, None)
    if first is None:
        first = pa.RecordBatch.from_pylist([], schema=reader.schema)
    batch: pa.RecordBatch | None = first
    while batch is not None:
        frame = pl.from_arrow(batch)
        assert isinstance(frame, pl.DataFrame)
        scored, bad = score_frame_with_rejects(name, frame, params, invalid="skip")
        offset = tally.rows
        if offset:
            scored = scored.with_columns(pl.col("row") + offset)
            bad = bad.with_columns(pl.col("row") + offset)
        sink.write(scored if keep_rows else scored.drop("row"))
        if bad.height:
            tally.problems += bad.height
            tally.bad_rows += bad.get_column("row").n_unique()
            if rejects is not None:
                rejects.write(bad)
            elif tally.shown is None or tally.shown.height < _SHOWN:
                head = bad.head(_SHOWN)
                tally.shown = head if tally.shown is None else pl.concat([tally.shown, head])
        tally.rows += frame.height
        tally.scored += scored.height
        if progress is not None:
            progress(tally.rows, reader.estimate(tally.rows))
        batch = next(batches, None)
    if rejects is not None and tally.problems == 0:
        rejects.write(empty_rejects())
    if progress is not None:
        progress(tally.rows, tally.rows)
    return tally


def score_file(
    name: str,
    input_path: Path,
    output_path: Path,
    params: Mapping[str, Any] | None = None,
    *,
    rejects_path: Path | None = None,
    progress: Progress | None = None,
) -> FileReport:
    """Score a CSV/Parquet file into another, batch by batch, in memory that does not grow.

    Without ``rejects_path`` any bad row stops the run (one error naming the first
    problems by row and field, and nothing is written); with it, bad rows go to the
    rejects file (``row``, ``field``, ``problem``, ``value``) and the rest are scored,
    with a ``row`` column keeping their input row numbers. Files appear only when
    the run succeeds.
    """
    fmt = _format(input_path)
    _format(output_path)
    if rejects_path is not None:
        _format(rejects_path)
    if not input_path.is_file():
        raise InputError(f"{input_path}: no such file")
    spec = get_spec(name)
    types, _ = _input_names(spec)
    for text in (False, True):
        sink, rejects = _Sink(output_path), _Sink(rejects_path) if rejects_path else None
        reader: _Reader | None = None
        try:
            reader = _Reader(input_path, fmt, types, text)
            tally = _stream(name, reader, sink, rejects, params, progress)
        except pa.ArrowInvalid as exc:
            sink.abort()
            if rejects is not None:
                rejects.abort()
            if fmt == "csv" and not text:
                continue  # read it again with every column as text
            raise InputError(f"{input_path.name}: cannot be read: {exc}") from exc
        except BaseException:
            sink.abort()
            if rejects is not None:
                rejects.abort()
            raise
        finally:
            if reader is not None:
                reader.close()
        if tally.problems and rejects is None:
            sink.abort()
            shown = tally.shown if tally.shown is not None else empty_rejects()
            raise batch_error(spec, shown, bad_rows=tally.bad_rows, problems=tally.problems)
        sink.commit()
        if rejects is not None:
            rejects.commit()
        return FileReport(
            rows=tally.rows,
            scored=tally.scored,
            problems=tally.problems,
            rejects_path=rejects_path,
        )
    raise AssertionError("unreachable")  # pragma: no cover
