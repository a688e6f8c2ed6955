"""Import and export: flat CSV and Parquet tables, and a JSON archive of whole cases.

The flat tables have one row per case; the nested fields (lesions, devices,
complications) are JSON text in their columns, so that a spreadsheet can open
the file and the round trip is exact. The JSON archive also carries each case's
protocol runs with their full event logs. An import is all-or-nothing, in one
transaction whatever the format (an archive's cases and runs together): every
bad row is reported by row number and field, and nothing is saved unless every
row is good. An import holds at most ``max_rows`` cases (:data:`MAX_IMPORT_ROWS`).

A CSV cell that a spreadsheet would run as a formula (it starts with ``=``,
``+``, ``-``, ``@``, a tab or a carriage return: the OWASP CSV injection rule)
is written with a leading ``'``; a cell that starts with ``'`` gets one more, and
a CSV import takes one off again, so the round trip stays exact.

The columns are the fields of :class:`~stentguide.cases.model.CaseIn`, the one
declaration of a registry field: a field added there is exported, imported and
checked here with no change to this module. A file with a column the model does
not declare, or without one it requires, is refused naming the column.
:func:`export_cases` is the export both faces call: it writes the file and the
audit line.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import polars as pl
from pydantic import ValidationError

from stentguide.cases.audit import check_actor
from stentguide.cases.filters import CaseFilter
from stentguide.cases.intake import validate_cases
from stentguide.cases.model import CaseIn, StoredCase, nested_fields
from stentguide.cases.registry import Registry
from stentguide.cases.search import search_detail
from stentguide.errors import InputError
from stentguide.files import MAX_TABLE_BYTES, check_file, read_text_file
from stentguide.progress import Progress
from stentguide.protocols.record import SessionRecord

__all__ = [
    "ARCHIVE_FORMAT",
    "COLUMNS",
    "EXPORT_FORMATS",
    "MAX_IMPORT_ROWS",
    "TableFormat",
    "audit_export",
    "export_archive",
    "export_cases",
    "export_format",
    "export_table",
    "import_archive",
    "import_table",
]

ARCHIVE_FORMAT = "stentguide.archive/1"
MAX_IMPORT_ROWS = 100_000
"""The most cases one import may hold, unless the caller says otherwise."""
_FORMULA = r"^[=+\-@\t\r']"
"""A CSV cell a spreadsheet could take for a formula (or one already escaped)."""
COLUMNS = tuple(CaseIn.model_fields)
"""One column per field :class:`CaseIn` declares, in its order."""
_JSON_COLUMNS = nested_fields()
_OPTIONAL_VALUES = frozenset(
    name for name, field in CaseIn.model_fields.items() if not field.is_required()
)
"""Columns whose cells may be blank: the field has a default."""
_GENERATED_COLUMNS = frozenset(
    name for name, field in CaseIn.model_fields.items() if field.default_factory is not None
)
"""Columns a hand-made file may leave out: the value is made when the case is saved (uid)."""
EXPORT_FORMATS = ("csv", "parquet", "json")
"""Flat tables, and the JSON archive of whole cases with their protocol runs."""


class TableFormat(enum.StrEnum):
    """Flat table file formats."""

    csv = "csv"
    parquet = "parquet"

    @classmethod
    def of(cls, path: Path, given: str | None = None) -> TableFormat:
        """The format named, else the one the file name ends with."""
        name = given or path.suffix.lstrip(".").lower()
        try:
            return cls(name)
        except ValueError:
            raise InputError(
                "unknown table format", {"format": f"{name!r}: use csv or parquet"}
            ) from None


def _flat(case: StoredCase) -> dict[str, str | None]:
    data = case.model_dump(mode="json", include=set(COLUMNS))
    return {
        column: (
            json.dumps(data[column], ensure_ascii=False, separators=(",", ":"))
            if column in _JSON_COLUMNS
            else data[column]
        )
        for column in COLUMNS
    }


def _counted(
    registry: Registry, where: CaseFilter | None, progress: Progress | None
) -> Iterator[StoredCase]:
    """The cases ``where`` finds, telling ``progress`` ``(read, total)`` now and then."""
    total = registry.cases.count(where) if progress is not None else None
    index = 0
    for index, case in enumerate(registry.cases.iter(where)):
        if progress is not None and index % 2_000 == 0:
            progress(index, total)
        yield case
    if progress is not None:
        progress(total if total is not None else index, total)


def export_table(
    registry: Registry,
    path: Path,
    *,
    fmt: str | None = None,
    where: CaseFilter | None = None,
    progress: Progress | None = None,
) -> int:
    """Write the cases matching ``where`` to a CSV or Parquet file; returns the row count.

    ``progress`` hears ``(cases read, total)`` now and then.
    """
    kind = TableFormat.of(path, fmt)
    rows = [_flat(case) for case in _counted(registry, where, progress)]
    frame = pl.DataFrame(rows, schema=dict.fromkeys(COLUMNS, pl.String), orient="row")
    if kind is TableFormat.csv:
        _neutralised(frame).write_csv(path)
    else:
        frame.write_parquet(path)
    return frame.height


def _neutralised(frame: pl.DataFrame) -> pl.DataFrame:
    """Prefix ``'`` to every cell a spreadsheet would run as a formula (CSV export)."""
    return frame.with_columns(
        pl.when(pl.col(c).str.contains(_FORMULA))
        .then(pl.concat_str([pl.lit("'"), pl.col(c)]))
        .otherwise(pl.col(c))
        .alias(c)
        for c in frame.columns
    )


def _restored(frame: pl.DataFrame) -> pl.DataFrame:
    """Take off the ``'`` that :func:`_neutralised` put before a cell (CSV import)."""
    escaped = r"^'[=+\-@\t\r']"
    return frame.with_columns(
        pl.when(pl.col(c).str.contains(escaped))
        .then(pl.col(c).str.slice(1))
        .otherwise(pl.col(c))
        .alias(c)
        for c in frame.columns
        if frame.schema[c] == pl.String
    )


def _too_many(path: Path, max_rows: int) -> InputError:
    return InputError(
        "too many cases in one import",
        {"rows": f"{path.name} holds more than {max_rows:,} cases; split it into smaller files"},
    )


def _read_table(path: Path, kind: TableFormat, max_rows: int = MAX_IMPORT_ROWS) -> pl.DataFrame:
    check_file(path, "table")
    try:
        if kind is TableFormat.csv:
            frame = _restored(pl.read_csv(path, infer_schema=False, n_rows=max_rows + 1))
        else:
            if pl.scan_parquet(path).select(pl.len()).collect().item() > max_rows:
                raise _too_many(path, max_rows)
            frame = pl.read_parquet(path)
    except (OSError, pl.exceptions.PolarsError) as exc:
        raise InputError("cannot read the file", {"path": f"{path}: {exc}"}) from None
    if frame.height > max_rows:
        raise _too_many(path, max_rows)
    return frame


def check_columns(columns: Iterable[str]) -> None:
    """Refuse a table whose columns are not the declared ones, naming each wrong column."""
    present = list(columns)
    problems = {
        c: "column is missing" for c in COLUMNS if c not in present and c not in _GENERATED_COLUMNS
    }
    problems.update(
        {c: "not a field of a registry case" for c in present if c not in COLUMNS}
    )
    if problems:
        raise InputError("the columns are not those of a registry case", problems)


def _rows(frame: pl.DataFrame) -> Iterator[tuple[int, dict[str, Any], dict[str, str]]]:
    check_columns(frame.columns)
    for index, raw in enumerate(frame.iter_rows(named=True), start=1):
        row: dict[str, Any] = {}
        problems: dict[str, str] = {}
        for column in COLUMNS:
            value = raw.get(column)
            if isinstance(value, str) and not value.strip():
                value = None
            if column in _JSON_COLUMNS and value is not None:
                try:
                    value = json.loads(value) if isinstance(value, str) else value
                except json.JSONDecodeError as exc:
                    problems[f"row {index}: {column}"] = f"not valid JSON ({exc.msg})"
                    continue
            if value is None and column in _OPTIONAL_VALUES:
                continue
            if value is None:
                problems[f"row {index}: {column}"] = "missing"
                continue
            row[column] = value
        yield index, row, problems


def import_table(
    registry: Registry,
    path: Path,
    *,
    actor: str,
    fmt: str | None = None,
    max_rows: int = MAX_IMPORT_ROWS,
    progress: Progress | None = None,
) -> int:
    """Add every case of a CSV or Parquet file, or none; returns how many were added.

    ``progress`` hears ``(done, total)`` as in :meth:`CaseStore.add_many`.
    """
    frame = _read_table(path, TableFormat.of(path, fmt), max_rows)
    problems: dict[str, str] = {}
    rows: list[dict[str, Any]] = []
    for _index, row, row_problems in _rows(frame):
        problems.update(row_problems)
        rows.append(row)
    if problems:
        raise InputError(
            f"{len(problems)} problem(s) in {path.name}; nothing was imported", problems
        )
    return registry.cases.add_many(rows, actor=actor, progress=progress)


def export_archive(
    registry: Registry,
    path: Path,
    *,
    where: CaseFilter | None = None,
    progress: Progress | None = None,
) -> int:
    """Write whole cases, with their protocol runs and event logs, to a JSON archive."""
    cases: list[dict[str, Any]] = []
    for case in _counted(registry, where, progress):
        entry = case.model_dump(mode="json", include=set(COLUMNS))
        entry["runs"] = [
            {
                "session": registry.runs.load(run.run_id).to_json(),
                "outcome_id": run.outcome_id,
                "outcome_category": run.outcome_category,
            }
            for run in case.runs
        ]
        cases.append(entry)
    document = {"format": ARCHIVE_FORMAT, "cases": cases}
    path.write_text(json.dumps(document, ensure_ascii=False, indent=1), encoding="utf-8")
    return len(cases)


def import_archive(
    registry: Registry,
    path: Path,
    *,
    actor: str,
    max_rows: int = MAX_IMPORT_ROWS,
    progress: Progress | None = None,
) -> int:
    """Add every case of a JSON archive with its runs; returns how many cases were added.

    Every case and run is validated first, then the cases and their runs are
    stored in one transaction: if anything fails, nothing is stored.
    """
    try:
        document = json.loads(read_text_file(path, "archive", max_bytes=MAX_TABLE_BYTES))
    except json.JSONDecodeError as exc:
        raise InputError(
            "cannot read the archive", {"path": f"{path}: line {exc.lineno}: {exc.msg}"}
        ) from None
    if not isinstance(document, dict) or document.get("format") != ARCHIVE_FORMAT:
        raise InputError("not a case archive", {"format": f"expected {ARCHIVE_FORMAT!r}"})
    entries = document.get("cases")
    if not isinstance(entries, list):
        raise InputError("not a case archive", {"cases": "expected a list"})
    if len(entries) > max_rows:
        raise _too_many(path, max_rows)
    cases = validate_cases(
        {k: v for k, v in entry.items() if k != "runs"} if isinstance(entry, dict) else entry
        for entry in entries
    )
    runs = _archive_runs(entries)
    who = check_actor(actor)
    with registry.cases.batch(actor=who) as batch:
        added = batch.add_cases(cases, progress)
        for case, case_runs in zip(cases, runs, strict=True):
            for run in case_runs:
                registry.runs.save_in(
                    batch.connection,
                    run["session"],
                    actor=who,
                    case_uid=case.uid,
                    outcome_id=run.get("outcome_id"),
                    outcome_category=run.get("outcome_category"),
                )
    return added


def _archive_runs(entries: list[Any]) -> list[list[dict[str, Any]]]:
    """Each archive case's runs, validated; an :class:`InputError` names every bad one."""
    problems: dict[str, str] = {}
    found: list[list[dict[str, Any]]] = []
    for index, entry in enumerate(entries, start=1):
        runs = entry.get("runs", []) if isinstance(entry, dict) else []
        if not isinstance(runs, list):
            problems[f"case {index}: runs"] = "expected a list"
            runs = []
        for number, run in enumerate(runs, start=1):
            where = f"case {index}: run {number}"
            if not isinstance(run, dict):
                problems[where] = "expected an object with a session"
                continue
            for key in ("outcome_id", "outcome_category"):
                if not isinstance(run.get(key), str | None):
                    problems[f"{where}: {key}"] = "expected text or null"
            try:
                SessionRecord.model_validate(run.get("session"))
            except ValidationError as exc:
                problems.update(
                    InputError.from_validation("", exc, prefix=f"{where}: ").problems
                )
        found.append(runs)
    if problems:
        raise InputError("bad protocol runs in the archive; nothing was imported", problems)
    return found


def export_format(name: str) -> str:
    """The export format ``name`` names (``csv``, ``parquet`` or ``json``), else an error."""
    kind = name.strip().lower().lstrip(".")
    if kind not in EXPORT_FORMATS:
        raise InputError(
            "unknown export format", {"format": f"{name!r}: use {', '.join(EXPORT_FORMATS)}"}
        )
    return kind


def export_cases(
    registry: Registry,
    path: Path,
    *,
    fmt: str,
    actor: str,
    where: CaseFilter | None = None,
    progress: Progress | None = None,
) -> int:
    """Write the cases ``where`` finds as ``fmt`` and audit the export; returns the count.

    The audit line (action ``export`` on ``cases``, the format as its id, the
    count and the search in its detail) is the same whichever face asked.
    """
    kind = export_format(fmt)
    who = check_actor(actor)
    query = where or CaseFilter()
    if kind == "json":
        count = export_archive(registry, path, where=query, progress=progress)
    else:
        count = export_table(registry, path, fmt=kind, where=query, progress=progress)
    audit_export(registry, kind=kind, count=count, where=query, actor=who)
    return count


def audit_export(
    registry: Registry, *, kind: str, count: int, where: CaseFilter, actor: str
) -> None:
    """The audit line of an export of cases, whichever format and face wrote it."""
    registry.audit.record(
        actor=check_actor(actor),
        action="export",
        entity="cases",
        entity_id=kind,
        detail={"cases": count, "filter": search_detail(where)},
    )
