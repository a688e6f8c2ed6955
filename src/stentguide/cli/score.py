"""``stentguide score``: list the scores, show one's inputs, score a case or a file."""

from __future__ import annotations

import enum
import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from stentguide.cli._common import (
    OutputFormat,
    console,
    err_console,
    fail,
    handle_errors,
    print_json,
)
from stentguide.errors import InputError
from stentguide.files import check_file
from stentguide.risk import (
    ScoreResult,
    get_spec,
    input_schema,
    list_scores,
    score,
    score_file,
)

__all__ = ["register"]

HELP = (
    "Published PCI risk scores. NAME is a score name or 'list'. "
    "Examples: score list | score j-cto --schema | score j-cto --json '{...}' | "
    "score j-cto --input in.csv --output out.parquet [--rejects rejects.csv]"
)


class ScoreFormat(enum.StrEnum):
    """``--format``: the shared text/json, plus fhir (a RiskAssessment) for one case."""

    text = "text"
    json = "json"
    fhir = "fhir"


def register(app: typer.Typer) -> None:
    """Add the ``score`` command to the application."""
    app.command("score", help=HELP, no_args_is_help=True)(score_command)


def _parse_params(items: list[str] | None) -> dict[str, str]:
    params: dict[str, str] = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise InputError(f"--param {item!r}: expected KEY=VALUE")
        params[key.strip()] = value.strip()
    return params


@handle_errors
def score_command(
    name: Annotated[str, typer.Argument(help="A score name (see 'score list'), or 'list'.")],
    json_case: Annotated[
        str | None, typer.Option("--json", help="One case as a JSON object; prints the result.")
    ] = None,
    schema: Annotated[
        bool, typer.Option("--schema", help="Print the JSON Schema of the score's inputs.")
    ] = False,
    input_path: Annotated[
        Path | None, typer.Option("--input", help="A CSV or Parquet file to score.")
    ] = None,
    output_path: Annotated[
        Path | None, typer.Option("--output", help="Where to write the scored rows (CSV/Parquet).")
    ] = None,
    rejects_path: Annotated[
        Path | None,
        typer.Option(
            "--rejects", help="Write bad rows here and score the rest (else bad rows stop)."
        ),
    ] = None,
    param: Annotated[
        list[str] | None,
        typer.Option("--param", help="A score parameter, KEY=VALUE (e.g. length_cutoff_mm=20)."),
    ] = None,
    format_choice: Annotated[
        ScoreFormat | None,
        typer.Option(
            "--format",
            help="text or json (default: json for --json, else text); fhir: a FHIR "
            "RiskAssessment of the --json case.",
        ),
    ] = None,
) -> None:
    """List scores, describe one, or score one case or a file."""
    params = _parse_params(param)
    if format_choice is ScoreFormat.fhir and json_case is None:
        fail("--format fhir needs --json (one case)")
    fhir = format_choice is ScoreFormat.fhir
    output_format = OutputFormat(format_choice.value) if format_choice and not fhir else None
    modes = [json_case is not None, schema, input_path is not None]
    if sum(modes) > 1:
        fail("use only one of --json, --schema and --input")
    if (input_path is None) != (output_path is None):
        fail("--input and --output go together")
    if rejects_path is not None and input_path is None:
        fail("--rejects needs --input and --output")
    if name == "list":
        _list(output_format or OutputFormat.text)
    elif schema:
        print_json(input_schema(name, params))
    elif json_case is not None:
        _one_case(name, json_case, params, output_format or OutputFormat.json, fhir=fhir)
    elif input_path is not None and output_path is not None:
        fmt = output_format or OutputFormat.text
        _file(name, input_path, output_path, rejects_path, params, fmt)
    else:
        _describe(name, output_format or OutputFormat.text)


def _list(fmt: OutputFormat) -> None:
    infos = list_scores()
    if fmt is OutputFormat.json:
        print_json([i.model_dump() for i in infos])
        return
    table = Table(title="Risk scores")
    for column in ("name", "title", "status"):
        table.add_column(column)
    for info in infos:
        status = "available" if info.available else f"not yet available: {info.reason}"
        table.add_row(info.name, info.title, status)
    console.print(table)


def _one_case(
    name: str, text: str, params: dict[str, str], fmt: OutputFormat, *, fhir: bool = False
) -> None:
    try:
        case: Any = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"--json is not valid JSON: {exc.msg} at position {exc.pos}") from None
    if not isinstance(case, dict):
        raise InputError("--json must be a JSON object of input names to values")
    result = score(name, case, params)
    if fhir:
        from stentguide.interop.scores import score_to_risk_assessment

        print_json(score_to_risk_assessment(result))
    elif fmt is OutputFormat.json:
        print_json(result.model_dump(mode="json"))
    else:
        _print_result(result)


def _print_result(result: ScoreResult) -> None:
    console.print(f"[bold]{result.title}[/bold]: {result.summary}")
    if result.category:
        console.print(f"Category: [bold]{result.category}[/bold] ({result.category_label})")
    for field, by in result.derived.items():
        console.print(f"Computed: {field} = {result.inputs[field]:g} by {by}")
    for rate in result.rates:
        console.print(f"Rate: {rate.label} {rate.percent:g}% ({rate.confidence})")
    if result.near_cutoff:
        console.print("[yellow]Near a cut-off: within the reconstruction's uncertainty.[/yellow]")
    if result.outcome_text:
        console.print(f"Published figures: {result.outcome_text}")
    for step in result.next_steps:
        console.print(f"What next: {step.text} ({', '.join(step.sources)})")
    table = Table(show_header=True)
    for column in ("item", "met", "points"):
        table.add_column(column)
    for comp in result.components:
        table.add_row(comp.label, "yes" if comp.met else "no", f"{comp.points:g}")
    if result.components:
        console.print(table)
    for note in result.notes:
        console.print(f"Note: {note}")
    console.print("Sources: " + "; ".join(result.citations))


def _file(
    name: str,
    input_path: Path,
    output_path: Path,
    rejects_path: Path | None,
    params: dict[str, str],
    fmt: OutputFormat,
) -> None:
    check_file(input_path, "input")
    if err_console.is_terminal:
        with Progress(
            TextColumn(f"scoring {name}"),
            BarColumn(),
            TextColumn("{task.completed:,}/{task.total:,} rows"),
            TimeRemainingColumn(),
            console=err_console,
            transient=True,
        ) as bar:
            task = bar.add_task("score", total=None)
            report = score_file(
                name,
                input_path,
                output_path,
                params,
                rejects_path=rejects_path,
                progress=lambda done, total: bar.update(task, completed=done, total=total),
            )
    else:
        report = score_file(name, input_path, output_path, params, rejects_path=rejects_path)
    summary = {
        "score": name,
        "rows": report.rows,
        "scored": report.scored,
        "problems": report.problems,
        "output": str(output_path),
        "rejects": str(report.rejects_path) if report.rejects_path else None,
    }
    if fmt is OutputFormat.json:
        print_json(summary)
    else:
        line = f"{report.scored:,} of {report.rows:,} rows scored with {name} -> {output_path}"
        if report.rejects_path is not None:
            line += f"; {report.problems:,} problem(s) written to {report.rejects_path}"
        console.print(line)


def _describe(name: str, fmt: OutputFormat) -> None:
    spec = get_spec(name)
    if fmt is OutputFormat.json:
        print_json(spec.model_dump(mode="json"))
        return
    console.print(f"[bold]{spec.title}[/bold] ({spec.name}): {spec.purpose}")
    table = Table(title="Inputs")
    for column in ("name", "type", "unit", "allowed", "description"):
        table.add_column(column)
    for var in spec.variables:
        allowed = (
            ", ".join(var.levels or [])
            if var.type == "category"
            else ("true/false" if var.type == "bool" else f"{var.minimum:g} to {var.maximum:g}")
        )
        table.add_row(var.name, var.type, var.unit or "", allowed, var.description)
    console.print(table)
    for cat in spec.categories:
        figures = "; ".join(f.text for f in cat.outcome)
        console.print(f"{cat.label}: [bold]{cat.name}[/bold] - {figures}")
    for param in spec.parameters:
        console.print(f"Parameter {param.name} (default {param.default}): {param.description}")
    for note in spec.notes:
        console.print(f"Note: {note}")
