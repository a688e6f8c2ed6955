"""``stentguide score``: list the scores, show one's inputs, score a case or a file."""

from __future__ import annotations

import enum
import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape as e
from rich.table import Table

from stentguide.cli._common import (
    OutputFormat,
    console,
    fail,
    handle_errors,
    print_json,
    written_to,
)
from stentguide.cli._progress import progress_bar
from stentguide.errors import InputError
from stentguide.files import check_file

if TYPE_CHECKING:
    from stentguide.risk import ScoreResult

# stentguide.risk (NumPy, Polars) is imported by the modes that score, so that
# ``score list`` starts as fast as Python and Typer allow.

__all__ = ["register"]

HELP = (
    "Published PCI risk scores. NAME is a score name or 'list'.\n\n"
    "Examples: stentguide score list | stentguide score j-cto --schema | "
    "stentguide score j-cto --json '{\"blunt_stump\": true, ...}' | "
    "stentguide score dapt --input registry.csv --output scored.parquet --rejects rejects.csv"
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
        Path | None,
        typer.Option(
            "--output",
            "-o",
            help="With --input: where to write the scored rows (CSV/Parquet); "
            "else write the result to FILE instead of the screen.",
            metavar="FILE",
        ),
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
    if input_path is not None and output_path is None:
        fail("--input needs --output (the file to write the scored rows to)")
    if rejects_path is not None and input_path is None:
        fail("--rejects needs --input and --output")
    if input_path is not None and output_path is not None:
        fmt = output_format or OutputFormat.text
        _file(name, input_path, output_path, rejects_path, params, fmt)
        return
    with written_to(output_path):
        _show(name, json_case, schema, params, output_format, fhir=fhir)


def _show(
    name: str,
    json_case: str | None,
    schema: bool,
    params: dict[str, str],
    output_format: OutputFormat | None,
    *,
    fhir: bool = False,
) -> None:
    if name == "list":
        _list(output_format or OutputFormat.text)
    elif schema:
        from stentguide.risk import input_schema

        print_json(input_schema(name, params))
    elif json_case is not None:
        _one_case(name, json_case, params, output_format or OutputFormat.json, fhir=fhir)
    else:
        _describe(name, output_format or OutputFormat.text)


def _list(fmt: OutputFormat) -> None:
    from stentguide.listing import score_listing

    infos = score_listing()
    if fmt is OutputFormat.json:
        print_json([i.as_dict() for i in infos])
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
    from stentguide.risk import score

    result = score(name, case, params)
    if fhir:
        from stentguide.interop.scores import score_to_risk_assessment

        print_json(score_to_risk_assessment(result))
    elif fmt is OutputFormat.json:
        print_json(result.model_dump(mode="json"))
    else:
        _print_result(result)


def _print_result(result: ScoreResult) -> None:
    console.print(f"[bold]{e(result.title)}[/bold]: {e(result.summary)}")
    if result.category:
        console.print(
            f"Category: [bold]{e(result.category)}[/bold] ({e(result.category_label or '')})"
        )
    for field, by in result.derived.items():
        console.print(f"Computed: {field} = {result.inputs[field]:g} by {e(by)}")
    for rate in result.rates:
        console.print(e(f"Rate: {rate.label} {rate.percent:g}% ({rate.confidence})"))
    if result.near_cutoff:
        console.print("[yellow]Near a cut-off: within the reconstruction's uncertainty.[/yellow]")
    if result.outcome_text:
        console.print(f"Published figures: {e(result.outcome_text)}")
    for step in result.next_steps:
        console.print(e(f"What next: {step.text} ({', '.join(step.sources)})"))
    table = Table(show_header=True)
    for column in ("item", "met", "points"):
        table.add_column(column)
    for comp in result.components:
        table.add_row(e(comp.label), "yes" if comp.met else "no", f"{comp.points:g}")
    if result.components:
        console.print(table)
    for note in result.notes:
        console.print(f"Note: {e(note)}")
    console.print("Sources: " + e("; ".join(result.citations)))


def _file(
    name: str,
    input_path: Path,
    output_path: Path,
    rejects_path: Path | None,
    params: dict[str, str],
    fmt: OutputFormat,
) -> None:
    check_file(input_path, "input")
    from stentguide.risk import score_file

    with progress_bar(f"scoring {name}", "rows") as progress:
        report = score_file(
            name, input_path, output_path, params, rejects_path=rejects_path, progress=progress
        )
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
        console.print(line, markup=False)


def _describe(name: str, fmt: OutputFormat) -> None:
    from stentguide.risk import get_spec

    spec = get_spec(name)
    if fmt is OutputFormat.json:
        print_json(spec.model_dump(mode="json"))
        return
    console.print(f"[bold]{e(spec.title)}[/bold] ({spec.name}): {e(spec.purpose)}")
    table = Table(title="Inputs")
    for column in ("name", "type", "unit", "allowed", "description"):
        table.add_column(column)
    for var in spec.variables:
        allowed = (
            ", ".join(var.levels or [])
            if var.type == "category"
            else ("true/false" if var.type == "bool" else f"{var.minimum:g} to {var.maximum:g}")
        )
        table.add_row(var.name, var.type, var.unit or "", e(allowed), e(var.description))
    console.print(table)
    for cat in spec.categories:
        figures = "; ".join(f.text for f in cat.outcome)
        console.print(f"{e(cat.label)}: [bold]{e(cat.name)}[/bold] - {e(figures)}")
    for param in spec.parameters:
        console.print(
            e(f"Parameter {param.name} (default {param.default}): {param.description}")
        )
    for note in spec.notes:
        console.print(f"Note: {e(note)}")
