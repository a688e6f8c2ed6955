"""``stentguide leaflet``: render a patient leaflet from a plan file.

The command reads a JSON plan (see ``stentguide.leaflets.plan_schema()``),
optionally sets its language, and writes HTML or PDF. All the work is done by
:mod:`stentguide.leaflets`; this module only parses, calls and writes.
"""

from __future__ import annotations

import enum
import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from stentguide import leaflets
from stentguide.cli._common import handle_errors, print_json
from stentguide.errors import InputError
from stentguide.files import read_text_file

__all__ = ["register"]


class LeafletFormat(enum.StrEnum):
    """What ``stentguide leaflet`` writes."""

    pdf = "pdf"
    html = "html"
    json = "json"


def _read_plan(path: Path) -> dict[str, Any]:
    raw = read_text_file(path, "plan")
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise InputError(
            "the plan file is not valid JSON", {"plan": f"{path}: line {exc.lineno}: {exc.msg}"}
        ) from None
    if not isinstance(data, dict):
        raise InputError("the plan file must hold a JSON object", {"plan": str(path)})
    return data


@handle_errors
def leaflet(
    plan: Annotated[
        Path, typer.Option("--plan", help="JSON file with the leaflet plan.", show_default=False)
    ],
    lang: Annotated[
        str | None,
        typer.Option("--lang", help="Language (en or fr); overrides the plan's 'language'."),
    ] = None,
    output_format: Annotated[
        LeafletFormat,
        typer.Option(
            "--format",
            help="pdf or html writes the leaflet; json prints the checked plan and its dates.",
        ),
    ] = LeafletFormat.pdf,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="File to write; '-' or none writes to stdout."),
    ] = None,
) -> None:
    """Write a personalised patient leaflet (English or French) as PDF or HTML.

    Example: stentguide leaflet --plan leaflet-plan.json --lang fr --format pdf -o leaflet.pdf
    """
    data = _read_plan(plan)
    if lang is not None:
        data["language"] = lang
    checked = leaflets.parse_plan(data)
    if output_format is LeafletFormat.json:
        aspirin, second = leaflets.antiplatelet_schedule(checked)
        print_json(
            {
                "plan": checked.model_dump(mode="json"),
                "medicines": [
                    {"medicine": c.medicine, "months": c.months, "stop_date": c.stop_date}
                    for c in (aspirin, second)
                ],
            }
        )
        return
    body: bytes
    if output_format is LeafletFormat.pdf:
        body = leaflets.render_pdf(checked)
    else:
        body = leaflets.render_html(checked).encode("utf-8")
    if output is None or str(output) == "-":
        if output_format is LeafletFormat.pdf and sys.stdout.isatty():
            raise InputError("will not print a PDF on a terminal", {"output": "give --output FILE"})
        sys.stdout.buffer.write(body)
        sys.stdout.flush()
        return
    try:
        output.write_bytes(body)
    except OSError as exc:
        problem = {"output": f"{output}: {exc.strerror}"}
        raise InputError("cannot write the leaflet", problem) from None
    typer.echo(f"wrote {output} ({len(body):,} bytes)", err=True)


def register(app: typer.Typer) -> None:
    """Add the single ``leaflet`` command to ``app``."""
    app.command("leaflet")(leaflet)
