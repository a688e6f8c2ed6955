"""``stentguide cases``: list, show, import, export and count the registry's cases.

The commands read options, call the core and print: a search is parsed by
:func:`stentguide.cases.search.parse_search`, an export is written and audited
by :func:`stentguide.cases.exchange.export_cases`, and the synthetic-data warning
is :func:`stentguide.cases.search.synthetic_warning`, exactly as on the web pages.
``stentguide db`` and ``stentguide users`` live in :mod:`stentguide.cli.db` and
:mod:`stentguide.cli.users`.
"""

from __future__ import annotations

import enum
import functools
import inspect
import typing
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

import typer
from rich.markup import escape
from rich.table import Table

from stentguide.cli._common import (
    OutputFormat,
    console,
    err_console,
    fail,
    handle_errors,
    print_json,
    resolve_actor,
    written_to,
)
from stentguide.cli._common import OutputOption as OutputOpt
from stentguide.cli._progress import progress_bar
from stentguide.cli._registry import (
    ActorOption,
    DbOption,
    FormatOption,
    existing_db,
    open_registry,
)
from stentguide.cli._stats import print_stats

if TYPE_CHECKING:
    from stentguide.cases import CaseFilter

__all__ = ["register"]

cases_app = typer.Typer(
    help="Registry of PCI cases: list, show, import, export, statistics.", no_args_is_help=True
)


SEARCH_OPTIONS = {
    "patient_id": ("--patient", "Pseudonymous patient id."),
    "since": ("--since", "First procedure date, YYYY-MM-DD."),
    "until": ("--until", "Last procedure date, YYYY-MM-DD."),
    "operator": ("--operator", "Operator."),
    "access": ("--access", "Only cases with this access."),
    "complication": ("--complication", "Only cases with this complication."),
    "outcome": ("--outcome", "Only cases with this outcome."),
}
"""The command-line option of each search field (``stentguide.cases.search.SEARCH_FIELDS``)."""

def searched(*fields: str) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Give a command the search options of ``fields``, read into ``where`` by the core.

    The command declares ``where`` instead of one parameter per option; the
    options are added to its signature (which Typer reads), and their text is
    parsed by :func:`stentguide.cases.search.parse_search`, as on the web pages.
    """

    def decorate(command: Callable[..., None]) -> Callable[..., None]:
        names = {SEARCH_OPTIONS[f][0].lstrip("-"): f for f in fields}

        @functools.wraps(command)
        def run(*args: Any, **kwargs: Any) -> None:
            from stentguide.cases.search import parse_search

            where = parse_search({names[name]: kwargs.pop(name) for name in names})
            command(*args, where=where, **kwargs)

        run.__annotations__ = {k: v for k, v in command.__annotations__.items() if k != "where"}
        hints = typing.get_type_hints(run, include_extras=True)
        kept = [
            p.replace(annotation=hints[p.name])
            for p in inspect.signature(command).parameters.values()
            if p.name != "where"
        ]
        options = [
            inspect.Parameter(
                name,
                inspect.Parameter.KEYWORD_ONLY,
                default=None,
                annotation=Annotated[
                    str | None, typer.Option(SEARCH_OPTIONS[f][0], help=SEARCH_OPTIONS[f][1])
                ],
            )
            for name, f in names.items()
        ]
        run.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
            [*kept, *options], return_annotation=None
        )
        run.__annotations__ = {p.name: p.annotation for p in [*kept, *options]}
        return run

    return decorate


def _warn_synthetic(synthetic: int, total: int) -> str | None:
    """Print (to stderr) and return the warning when synthetic cases are among ``total``."""
    from stentguide.cases.search import synthetic_warning

    warning = synthetic_warning(synthetic, total)
    if warning:
        err_console.print(f"[yellow]warning: {warning}[/yellow]")
    return warning


@cases_app.command("list")
@handle_errors
@searched(*SEARCH_OPTIONS)
def list_cases(
    where: CaseFilter,
    db: DbOption = None,
    limit: Annotated[int, typer.Option("--limit", min=0, help="At most this many cases.")] = 50,
    fmt: FormatOption = OutputFormat.text,
    output: OutputOpt = None,
) -> None:
    """List cases, newest first.

    Example: stentguide cases list --complication stent_loss --since 2023-01-01
    """
    from stentguide.cases.search import count_synthetic

    with open_registry(db) as registry:
        found = registry.cases.find(where, limit=limit)
        total = registry.cases.count(where)
        _warn_synthetic(count_synthetic(registry, where), total)
    with written_to(output):
        _print_cases(found, total, fmt)


def _print_cases(found: list[Any], total: int, fmt: OutputFormat) -> None:
    if fmt is OutputFormat.json:
        print_json({"total": total, "cases": [c.model_dump(mode="json") for c in found]})
        return
    table = Table(title=f"{len(found)} of {total} case(s)")
    for column in ("uid", "date", "patient", "operator", "access", "complications", "runs"):
        table.add_column(column)
    for case in found:
        table.add_row(
            case.uid,
            str(case.procedure_date),
            escape(case.patient_id),
            escape(case.operator),
            case.access.value,
            ", ".join(c.kind.value for c in case.complications) or "-",
            str(len(case.runs)),
        )
    console.print(table)


@cases_app.command("show")
@handle_errors
def show_case(
    uid: Annotated[str, typer.Argument(help="Case uid.")],
    db: DbOption = None,
    fmt: FormatOption = OutputFormat.text,
    output: OutputOpt = None,
) -> None:
    """Show one case with its complications, protocol runs and audit trail.

    Example: stentguide cases show 3d6c3ac1c5e1f6d1a0e0e5d4e1fd5ac9 --format json
    """
    with open_registry(db) as registry:
        case = registry.cases.get(uid)
        audit = registry.audit.entries(entity="case", entity_id=uid)
    with written_to(output):
        _print_case(case, audit, fmt)


def _print_case(case: Any, audit: list[Any], fmt: OutputFormat) -> None:
    if fmt is OutputFormat.json:
        print_json({"case": case.model_dump(mode="json"), "audit": [a.__dict__ for a in audit]})
        return
    console.print(
        f"[bold]Case {case.uid}[/bold]  patient {escape(case.patient_id)}  {case.procedure_date}"
    )
    console.print(
        f"operator {case.operator}, {case.access.value} access, outcome {case.outcome or '-'}",
        markup=False,
    )
    console.print("lesions: " + ", ".join(lesion.vessel.value for lesion in case.lesions))
    console.print(
        "devices: " + (", ".join(f"{k}: {v}" for k, v in case.devices.items()) or "-"),
        markup=False,
    )
    for comp in case.complications:
        extra = (
            f" ({comp.technique.value}, {'retrieved' if comp.success else 'not retrieved'})"
            if comp.technique
            else ""
        )
        console.print(f"complication: {comp.kind.value}{extra}")
    for run in case.runs:
        console.print(
            f"run {run.run_id}: {run.protocol_id} {run.protocol_version}, "
            f"{run.events} events, outcome {run.outcome_id or '-'}"
        )
    for entry in audit:
        console.print(f"{entry.at:%Y-%m-%d %H:%M:%S} {entry.actor} {entry.action}", markup=False)


ExportAs = Annotated[
    str | None,
    typer.Option(
        "--as",
        help="csv, parquet, json (archive with runs) or fhir (FHIR R4 Bundles); "
        "else from the file name.",
    ),
]
ExchangeFormat = enum.StrEnum("ExchangeFormat", ["text", "json", "fhir"])
ExchangeFormatOption = Annotated[
    ExchangeFormat,
    typer.Option(
        "--format", help="Report format (text or json); fhir: the file is FHIR (as --as fhir)."
    ),
]


def _file_kind(path: Path, as_: str | None, fmt: ExchangeFormat) -> str:
    return "fhir" if fmt == "fhir" else (as_ or path.suffix.lstrip(".")).lower()


@cases_app.command("export")
@handle_errors
@searched(*SEARCH_OPTIONS)
def export_cases(
    path: Annotated[Path, typer.Argument(help="File to write.")],
    where: CaseFilter,
    db: DbOption = None,
    as_: ExportAs = None,
    actor: ActorOption = None,
    fmt: ExchangeFormatOption = ExchangeFormat.text,
) -> None:
    """Export cases to CSV, Parquet, a JSON archive (with protocol runs) or FHIR; audited.

    Shows progress on a terminal.

    Example: stentguide cases export cases.csv --since 2024-01-01
    """
    from stentguide.cases.exchange import export_cases

    kind = _file_kind(path, as_, fmt)
    with open_registry(db) as registry, progress_bar("exporting", "cases") as progress:
        if kind == "fhir":
            from stentguide.interop.registry import export_fhir

            count = export_fhir(registry, path, where=where, actor=resolve_actor(actor))
        else:
            count = export_cases(
                registry,
                path,
                fmt=kind,
                where=where,
                actor=resolve_actor(actor),
                progress=progress,
            )
    if fmt == "json":
        print_json({"exported": count, "path": str(path)})
    else:
        console.print(f"exported {count} case(s) to {path}")


@cases_app.command("import")
@handle_errors
def import_cases(
    path: Annotated[
        Path, typer.Argument(help="CSV, Parquet, JSON archive or FHIR Bundle to read.")
    ],
    db: DbOption = None,
    as_: ExportAs = None,
    actor: ActorOption = None,
    fmt: ExchangeFormatOption = ExchangeFormat.text,
) -> None:
    """Import cases, all or nothing; bad rows are reported by row and field.

    Shows progress on a terminal.

    Example: stentguide cases import cases.csv --db sqlite:///registry.sqlite
    """
    from stentguide.cases.exchange import import_archive, import_table

    if not path.is_file():
        fail(f"path: {path} does not exist")
    kind = _file_kind(path, as_, fmt)
    with open_registry(db) as registry, progress_bar("importing", None) as progress:
        who = resolve_actor(actor)
        if kind == "fhir":
            from stentguide.interop.registry import import_fhir

            count = import_fhir(registry, path, actor=who)
        elif kind == "json":
            count = import_archive(registry, path, actor=who, progress=progress)
        else:
            count = import_table(registry, path, actor=who, fmt=kind, progress=progress)
    if fmt == "json":
        print_json({"imported": count})
    else:
        console.print(f"imported {count} case(s) from {path}")


@cases_app.command("stats")
@handle_errors
@searched("since", "until", "operator", "outcome")
def stats(
    where: CaseFilter,
    db: DbOption = None,
    by: Annotated[
        str, typer.Option("--by", help="Group by none, year, operator or access.")
    ] = "none",
    plot: Annotated[
        Path | None, typer.Option("--plot", help="Also write a plot (.png or .svg).")
    ] = None,
    interval: Annotated[
        str,
        typer.Option(
            "--interval",
            help="95% interval: wilson (Wilson score) or exact (Clopper-Pearson).",
        ),
    ] = "wilson",
    fmt: FormatOption = OutputFormat.text,
    output: OutputOpt = None,
) -> None:
    """Complication rates with 95% intervals beside the published figures.

    Example: stentguide cases stats --by year --interval exact --plot rates.png
    """
    from stentguide.cases.analytics import Grouping, IntervalMethod, compare, rates_from_counts
    from stentguide.cases.counts_kept import read_kept_counts
    from stentguide.cases.location import resolve_database_url
    from stentguide.errors import UnknownNameError

    try:
        grouping = Grouping(by)
    except ValueError:
        raise UnknownNameError("grouping", by, [g.value for g in Grouping]) from None
    try:
        method = IntervalMethod(interval)
    except ValueError:
        raise UnknownNameError("interval", interval, [m.value for m in IntervalMethod]) from None
    if plot is not None and plot.suffix.lower() not in (".png", ".svg"):
        fail(f"plot: {plot.name} must end in .png or .svg")
    # counts the database keeps at its current version are read without opening the registry
    counts = read_kept_counts(resolve_database_url(existing_db(db)), where)
    if counts is None:
        from stentguide.cases.counts import registry_counts

        with open_registry(db) as registry:
            counts = registry_counts(registry, where)
    comparisons = compare(rates_from_counts(counts, grouping, method))
    warning = _warn_synthetic(counts.synthetic, counts.total)
    if plot is not None:
        from stentguide.cases.plots import rates_plot

        kind: Literal["png", "svg"] = "svg" if plot.suffix.lower() == ".svg" else "png"
        plot.write_bytes(rates_plot(comparisons, kind, note=warning))
    with written_to(output):
        print_stats(comparisons, fmt, method.label)
    if plot is not None:
        err_console.print(f"plot written to {plot}", markup=False)


@cases_app.command("demo")
@handle_errors
def demo(
    count: Annotated[int, typer.Option("--count", min=1, help="How many synthetic cases.")] = 1000,
    seed: Annotated[int, typer.Option("--seed", help="Random seed.")] = 0,
    db: DbOption = None,
    actor: ActorOption = None,
    fmt: FormatOption = OutputFormat.text,
) -> None:
    """Fill the registry with SYNTHETIC cases whose rates follow the literature.

    Shows progress on a terminal.

    Example: stentguide cases demo --count 2000 --seed 1
    """
    from stentguide.cases.demo import demo_stream

    with open_registry(db) as registry:
        with progress_bar("making synthetic cases", "cases"):  # the draws; each case made as saved
            cases = demo_stream(count, seed=seed)
        with progress_bar("saving", None) as progress:
            added = registry.cases.add_many(cases, actor=resolve_actor(actor), progress=progress)
    if fmt is OutputFormat.json:
        print_json({"added": added, "synthetic": True})
    else:
        console.print(
            f"added {added} synthetic case(s) (patient ids DEMO-..., outcome 'synthetic')"
        )


@cases_app.command("validate-training")
@handle_errors
def validate_training(
    path: Annotated[Path, typer.Argument(help="A training case file (YAML or JSON).")],
    fmt: FormatOption = OutputFormat.text,
) -> None:
    """Check a training case: schema, reachable moments, sources, consequences, teaching points.

    Example: stentguide cases validate-training my-case.yaml
    """
    from stentguide.training import load_case_file

    case = load_case_file(path)
    if fmt is OutputFormat.json:
        print_json({"valid": True, "id": case.id, "version": case.version, "file": path.name})
    else:
        console.print(f"[green]valid[/green] {case.id} {case.version} ({path.name})")


def register(app: typer.Typer) -> None:
    """Add the ``cases`` group to the main app."""
    app.add_typer(cases_app, name="cases")
