"""``stentguide cases``, ``stentguide db`` and ``stentguide users``: the case registry.

Every command takes ``--db URL`` (else ``$STENTGUIDE_DB``, else the SQLite file
in the user's data directory). Commands that change data record who did it:
``--actor`` (else ``$STENTGUIDE_ACTOR``, else the login name).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import os
import sys
from pathlib import Path
from typing import Annotated, Any, Literal

import typer
from rich.table import Table

from stentguide.cli._common import (
    OutputFormat,
    console,
    err_console,
    fail,
    handle_errors,
    print_json,
    resolve_actor,
)

__all__ = ["register"]

DbOption = Annotated[
    str | None, typer.Option("--db", help="Database URL (else $STENTGUIDE_DB, else a local file).")
]
ActorOption = Annotated[
    str | None,
    typer.Option(
        "--actor", help="Who makes the change (else $STENTGUIDE_ACTOR, else the login name)."
    ),
]
FormatOption = Annotated[OutputFormat, typer.Option("--format", help="Output format.")]
ExchangeFormat = enum.StrEnum("ExchangeFormat", ["text", "json", "fhir"])
ExchangeFormatOption = Annotated[
    ExchangeFormat,
    typer.Option("--format", help="Report format (text or json); fhir: the file is FHIR."),
]

cases_app = typer.Typer(
    help="Registry of PCI cases: list, show, import, export, statistics.", no_args_is_help=True
)
db_app = typer.Typer(
    help="The registry database: schema status and upgrades.", no_args_is_help=True
)
users_app = typer.Typer(help="Users and roles of the web app.", no_args_is_help=True)


def _open(db: str | None) -> Any:
    from stentguide.cases import Registry

    return Registry.open(db)


def _date(value: str | None, field: str) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        fail(f"{field}: {value!r} is not a date (YYYY-MM-DD)")


def _filter(
    patient: str | None,
    operator: str | None,
    since: str | None,
    until: str | None,
    complication: str | None,
) -> Any:
    from stentguide.cases import CaseFilter, ComplicationKind

    if complication is not None and complication not in {k.value for k in ComplicationKind}:
        from stentguide.errors import UnknownNameError

        raise UnknownNameError("complication", complication, [k.value for k in ComplicationKind])
    return CaseFilter(
        patient_id=patient,
        operator=operator,
        since=_date(since, "since"),
        until=_date(until, "until"),
        complication=complication,
    )


PatientOpt = Annotated[str | None, typer.Option("--patient", help="Pseudonymous patient id.")]
OperatorOpt = Annotated[str | None, typer.Option("--operator", help="Operator.")]
SinceOpt = Annotated[str | None, typer.Option("--since", help="First procedure date, YYYY-MM-DD.")]
UntilOpt = Annotated[str | None, typer.Option("--until", help="Last procedure date, YYYY-MM-DD.")]
ComplicationOpt = Annotated[
    str | None, typer.Option("--complication", help="Only cases with this complication.")
]


@cases_app.command("list")
@handle_errors
def list_cases(
    db: DbOption = None,
    patient: PatientOpt = None,
    operator: OperatorOpt = None,
    since: SinceOpt = None,
    until: UntilOpt = None,
    complication: ComplicationOpt = None,
    limit: Annotated[int, typer.Option("--limit", min=0, help="At most this many cases.")] = 50,
    fmt: FormatOption = OutputFormat.text,
) -> None:
    """List cases, newest first."""
    with _open(db) as registry:
        where = _filter(patient, operator, since, until, complication)
        found = registry.list_cases(where, limit=limit)
        total = registry.count_cases(where)
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
            case.patient_id,
            case.operator,
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
) -> None:
    """Show one case with its complications, protocol runs and audit trail."""
    with _open(db) as registry:
        case = registry.get_case(uid)
        audit = registry.audit_entries(entity="case", entity_id=uid)
    if fmt is OutputFormat.json:
        print_json({"case": case.model_dump(mode="json"), "audit": [a.__dict__ for a in audit]})
        return
    console.print(f"[bold]Case {case.uid}[/bold]  patient {case.patient_id}  {case.procedure_date}")
    console.print(
        f"operator {case.operator}, {case.access.value} access, outcome {case.outcome or '-'}"
    )
    console.print("lesions: " + ", ".join(lesion.vessel.value for lesion in case.lesions))
    console.print("devices: " + (", ".join(f"{k}: {v}" for k, v in case.devices.items()) or "-"))
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
        console.print(f"{entry.at:%Y-%m-%d %H:%M:%S} {entry.actor} {entry.action}")


ExportAs = Annotated[
    str | None,
    typer.Option(
        "--as",
        help="csv, parquet, json (archive with runs) or fhir (FHIR R4 Bundle); "
        "else from the file name.",
    ),
]


@cases_app.command("export")
@handle_errors
def export_cases(
    path: Annotated[Path, typer.Argument(help="File to write.")],
    db: DbOption = None,
    as_: ExportAs = None,
    patient: PatientOpt = None,
    operator: OperatorOpt = None,
    since: SinceOpt = None,
    until: UntilOpt = None,
    complication: ComplicationOpt = None,
    fmt: ExchangeFormatOption = ExchangeFormat.text,
) -> None:
    """Export cases to CSV, Parquet, a JSON archive (with protocol runs) or FHIR."""
    from stentguide.cases.exchange import export_archive, export_table
    from stentguide.interop.registry import export_fhir

    kind = "fhir" if fmt == "fhir" else (as_ or path.suffix.lstrip(".")).lower()
    with _open(db) as registry:
        where = _filter(patient, operator, since, until, complication)
        count = (
            export_archive(registry, path, where=where)
            if kind == "json"
            else export_fhir(registry, path, where=where)
            if kind == "fhir"
            else export_table(registry, path, fmt=kind, where=where)
        )
    if fmt == "json":
        print_json({"exported": count, "path": str(path)})
    else:
        console.print(f"exported {count} case(s) to {path}")


@cases_app.command("import")
@handle_errors
def import_cases(
    path: Annotated[Path, typer.Argument(help="CSV, Parquet or JSON archive to read.")],
    db: DbOption = None,
    as_: ExportAs = None,
    actor: ActorOption = None,
    fmt: ExchangeFormatOption = ExchangeFormat.text,
) -> None:
    """Import cases, all or nothing; bad rows are reported by row and field."""
    from stentguide.cases.exchange import import_archive, import_table
    from stentguide.interop.registry import import_fhir

    if not path.is_file():
        fail(f"path: {path} does not exist")
    kind = "fhir" if fmt == "fhir" else (as_ or path.suffix.lstrip(".")).lower()
    with _open(db) as registry:
        who = resolve_actor(actor)
        count = (
            import_archive(registry, path, actor=who)
            if kind == "json"
            else import_fhir(registry, path, actor=who)
            if kind == "fhir"
            else import_table(registry, path, actor=who, fmt=kind)
        )
    if fmt == "json":
        print_json({"imported": count})
    else:
        console.print(f"imported {count} case(s) from {path}")


@cases_app.command("stats")
@handle_errors
def stats(
    db: DbOption = None,
    by: Annotated[
        str, typer.Option("--by", help="Group by none, year, operator or access.")
    ] = "none",
    operator: OperatorOpt = None,
    since: SinceOpt = None,
    until: UntilOpt = None,
    plot: Annotated[
        Path | None, typer.Option("--plot", help="Also write a plot (.png or .svg).")
    ] = None,
    fmt: FormatOption = OutputFormat.text,
) -> None:
    """Complication rates with Wilson 95% intervals beside the published figures."""
    from stentguide.cases.analytics import Grouping, compare, registry_rates
    from stentguide.cases.demo import SYNTHETIC_OUTCOME
    from stentguide.errors import UnknownNameError

    try:
        grouping = Grouping(by)
    except ValueError:
        raise UnknownNameError("grouping", by, [g.value for g in Grouping]) from None
    if plot is not None and plot.suffix.lower() not in (".png", ".svg"):
        fail(f"plot: {plot.name} must end in .png or .svg")
    query = _filter(None, operator, since, until, None)
    with _open(db) as registry:
        comparisons = compare(registry_rates(registry, query, grouping))
        total = registry.count_cases(query)
        synthetic = registry.count_cases(dataclasses.replace(query, outcome=SYNTHETIC_OUTCOME))
    warning = (
        f"{synthetic} of the {total} cases counted are synthetic demonstration data, "
        "not a real registry"
        if synthetic
        else None
    )
    if warning:
        err_console.print(f"[yellow]warning: {warning}[/yellow]")
    if plot is not None:
        from stentguide.cases.plots import rates_plot

        kind: Literal["png", "svg"] = "svg" if plot.suffix.lower() == ".svg" else "png"
        plot.write_bytes(rates_plot(comparisons, kind, note=warning))
    if fmt is OutputFormat.json:
        print_json(
            [
                {
                    "metric": c.rate.metric,
                    "label": c.rate.label,
                    "group": c.rate.group,
                    "events": c.rate.events,
                    "total": c.rate.total,
                    "percent": c.rate.percent,
                    "ci95_percent": c.rate.ci_percent,
                    "literature": [f.model_dump(mode="json") for f in c.figures],
                }
                for c in comparisons
            ]
        )
        return
    table = Table(title="Complication rates (Wilson 95% CI) beside the literature")
    for column in ("metric", "group", "events / total", "rate", "95% CI", "published"):
        table.add_column(column)
    for c in comparisons:
        r = c.rate
        if not r.total or (not r.events and not c.figures):
            continue
        low, high = r.ci_percent or (0.0, 0.0)
        published = "\n".join(
            (
                f"{f.percent}%"
                if f.percent is not None
                else f"{f.range_percent[0]}-{f.range_percent[1]}%"
                if f.range_percent
                else ""
            )
            + f" {f.label} [{', '.join(f.sources)}; {f.confidence} confidence]"
            for f in c.figures
        )
        table.add_row(
            r.label,
            r.group or "all",
            f"{r.events} / {r.total}",
            f"{r.percent:.2f}%",
            f"{low:.2f}-{high:.2f}%",
            published or "-",
        )
    console.print(table)
    if plot is not None:
        console.print(f"plot written to {plot}")


@cases_app.command("demo")
@handle_errors
def demo(
    count: Annotated[int, typer.Option("--count", min=1, help="How many synthetic cases.")] = 1000,
    seed: Annotated[int, typer.Option("--seed", help="Random seed.")] = 0,
    db: DbOption = None,
    actor: ActorOption = None,
    fmt: FormatOption = OutputFormat.text,
) -> None:
    """Fill the registry with SYNTHETIC cases whose rates follow the literature."""
    from stentguide.cases.demo import demo_cases

    cases = demo_cases(count, seed=seed)
    with _open(db) as registry:
        added = registry.add_cases(cases, actor=resolve_actor(actor))
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
    """Check a training case: schema, reachable moments, sources, consequences, teaching points."""
    from stentguide.training import load_case_file

    case = load_case_file(path)
    if fmt is OutputFormat.json:
        print_json({"valid": True, "id": case.id, "version": case.version, "file": path.name})
    else:
        console.print(f"[green]valid[/green] {case.id} {case.version} ({path.name})")


@db_app.command("upgrade")
@handle_errors
def db_upgrade(db: DbOption = None, fmt: FormatOption = OutputFormat.text) -> None:
    """Create or migrate the database to the newest schema."""
    from stentguide.cases.database import create_registry_engine, resolve_database_url
    from stentguide.cases.migrate import upgrade_schema

    engine = create_registry_engine(resolve_database_url(db))
    try:
        before = upgrade_schema(engine)
    finally:
        engine.dispose()
    if fmt is OutputFormat.json:
        print_json({"from": before.current, "to": before.head})
    else:
        console.print(f"schema {before.current or 'empty'} -> {before.head}")


@db_app.command("status")
@handle_errors
def db_status(db: DbOption = None, fmt: FormatOption = OutputFormat.text) -> None:
    """Show the database URL and its schema revision."""
    from stentguide.cases.database import create_registry_engine, resolve_database_url
    from stentguide.cases.migrate import schema_status

    url = resolve_database_url(db)
    engine = create_registry_engine(url)
    try:
        status = schema_status(engine)
        shown = engine.url.render_as_string(hide_password=True)
    finally:
        engine.dispose()
    if fmt is OutputFormat.json:
        print_json(
            {
                "url": shown,
                "current": status.current,
                "head": status.head,
                "up_to_date": status.up_to_date,
            }
        )
    else:
        console.print(f"{shown}: schema {status.current or 'empty'} (newest {status.head})")


def _password(password_stdin: bool) -> str:
    if password_stdin:
        return sys.stdin.readline().rstrip("\n")
    env = os.environ.get("STENTGUIDE_PASSWORD")
    if env:
        return env
    answer: str = typer.prompt("password", hide_input=True, confirmation_prompt=True)
    return answer


PasswordStdin = Annotated[
    bool, typer.Option("--password-stdin", help="Read the password from standard input.")
]


@users_app.command("add")
@handle_errors
def users_add(
    username: Annotated[str, typer.Argument(help="Login name.")],
    role: Annotated[str, typer.Option("--role", help="viewer, operator or admin.")],
    password_stdin: PasswordStdin = False,
    db: DbOption = None,
    actor: ActorOption = None,
    fmt: FormatOption = OutputFormat.text,
) -> None:
    """Add a user (password from --password-stdin, $STENTGUIDE_PASSWORD or a prompt)."""
    from stentguide.cases.users import UserStore

    with _open(db) as registry:
        user = UserStore(registry).create(
            username, _password(password_stdin), role, actor=resolve_actor(actor)
        )
    if fmt is OutputFormat.json:
        print_json({"username": user.username, "role": user.role.value})
    else:
        console.print(f"added {user.username} ({user.role.value})")


@users_app.command("list")
@handle_errors
def users_list(db: DbOption = None, fmt: FormatOption = OutputFormat.text) -> None:
    """List users and their roles."""
    from stentguide.cases.users import UserStore

    with _open(db) as registry:
        found = UserStore(registry).list()
    if fmt is OutputFormat.json:
        print_json(
            [{"username": u.username, "role": u.role.value, "active": u.active} for u in found]
        )
        return
    for user in found:
        console.print(
            f"{user.username}\t{user.role.value}\t{'active' if user.active else 'inactive'}"
        )


@users_app.command("set-role")
@handle_errors
def users_set_role(
    username: Annotated[str, typer.Argument(help="Login name.")],
    role: Annotated[str, typer.Argument(help="viewer, operator or admin.")],
    db: DbOption = None,
    actor: ActorOption = None,
    fmt: FormatOption = OutputFormat.text,
) -> None:
    """Change a user's role."""
    from stentguide.cases.users import UserStore

    with _open(db) as registry:
        user = UserStore(registry).set_role(username, role, actor=resolve_actor(actor))
    if fmt is OutputFormat.json:
        print_json({"username": user.username, "role": user.role.value})
    else:
        console.print(f"{user.username} is now {user.role.value}")


@users_app.command("deactivate")
@handle_errors
def users_deactivate(
    username: Annotated[str, typer.Argument(help="Login name.")],
    db: DbOption = None,
    actor: ActorOption = None,
    fmt: FormatOption = OutputFormat.text,
) -> None:
    """Stop a user from logging in (the account and its history are kept)."""
    from stentguide.cases.users import UserStore

    with _open(db) as registry:
        user = UserStore(registry).set_active(username, False, actor=resolve_actor(actor))
    if fmt is OutputFormat.json:
        print_json({"username": user.username, "active": user.active})
    else:
        console.print(f"{user.username} deactivated")


def register(app: typer.Typer) -> None:
    """Add the ``cases``, ``db`` and ``users`` groups to the main app."""
    app.add_typer(cases_app, name="cases")
    app.add_typer(db_app, name="db")
    app.add_typer(users_app, name="users")
