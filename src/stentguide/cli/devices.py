"""``stentguide devices``: list and show catalogue devices, inflate, fit, choose a snare.

Every command parses its arguments, calls :mod:`stentguide.devices` and renders
the result as a Rich table or, with ``--format json``, as JSON. The arithmetic
and every rule live in the core package.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from stentguide import devices as dv
from stentguide.cli._common import OutputFormat, console, handle_errors, print_json, with_output
from stentguide.devices.model import Device, Figure
from stentguide.devices.units import parse_length
from stentguide.references import reference

__all__ = ["register"]

group = typer.Typer(
    name="devices",
    help="Device catalogue: sizes, diameter at a pressure, fit in a guide, snare choice.",
    no_args_is_help=True,
)

FormatOption = Annotated[
    OutputFormat, typer.Option("--format", help="text (a table) or json (for scripts).")
]


def _figure_text(fig: Figure) -> str:
    span = ""
    if fig.low is not None or fig.high is not None:
        span = f" ({fig.lowest:.3g}-{fig.highest:.3g})"
    flag = "" if not fig.estimated else f" [{fig.confidence}]"
    return escape(f"{fig.value:.3g}{span}{flag}")


def _device_json(device: Device) -> dict[str, Any]:
    data = device.model_dump(mode="json")
    data["estimated"] = device.estimated
    data["all_sources"] = device.all_sources()
    return data


@group.command("list")
@handle_errors
@with_output
def list_command(
    kind: Annotated[
        str | None,
        typer.Option("--kind", help=f"One of: {', '.join(dv.DEVICE_KINDS)}."),
    ] = None,
    output_format: FormatOption = OutputFormat.text,
) -> None:
    """List catalogue devices, optionally of one kind.

    Example: stentguide devices list --kind guide_extension
    """
    found = dv.list_devices(kind)
    if output_format is OutputFormat.json:
        print_json([_device_json(d) for d in found])
        return
    table = Table(title=f"{len(found)} devices", show_lines=False)
    for column in ("name", "kind", "maker", "estimates"):
        table.add_column(column)
    for device in found:
        table.add_row(
            device.name,
            device.kind,
            device.maker or "",
            "yes" if device.estimated else "",
        )
    console.print(table)


@group.command("show")
@handle_errors
@with_output
def show_command(
    name: Annotated[str, typer.Argument(help="Catalogue name or generic description.")],
    output_format: FormatOption = OutputFormat.text,
) -> None:
    """Show one device with every figure, its confidence and its sources.

    Example: stentguide devices show "XIENCE Sierra 4.0"
    """
    device = dv.get_device(name)
    post = dv.max_post_dilatation(device) if device.kind == "stent" else None
    if output_format is OutputFormat.json:
        data = _device_json(device)
        if post is not None:
            data["max_post_dilatation"] = post.model_dump(mode="json")
        print_json(data)
        return
    table = Table(title=f"{device.name} ({device.kind})")
    table.add_column("figure")
    table.add_column("value")
    table.add_column("sources")
    for key, value in device.model_dump().items():
        fig = getattr(device, key)
        if isinstance(fig, Figure):
            table.add_row(key, _figure_text(fig), ", ".join(fig.sources))
        elif value is not None and key not in {"name", "kind", "sources", "figures"}:
            table.add_row(key, str(value), "")
    console.print(table)
    if post is not None:
        console.print(post.message)
    for key in device.all_sources():
        console.print(escape(f"  [{key}] {reference(key).citation()}"))


@group.command("inflate")
@handle_errors
@with_output
def inflate_command(
    name: Annotated[str, typer.Argument(help="Balloon or stent system.")],
    pressure: Annotated[
        str, typer.Option("--pressure", help="Pressure in atm, or with a unit: '300 kPa', '3 bar'.")
    ],
    output_format: FormatOption = OutputFormat.text,
) -> None:
    """Diameter of a balloon or stent system at a pressure (refused above rated burst).

    Example: stentguide devices inflate "balloon 1.5x12 SC" --pressure "300 kPa"
    """
    result = dv.balloon_diameter_at(name, pressure)
    if output_format is OutputFormat.json:
        print_json(result.model_dump(mode="json"))
        return
    console.print(f"{result.device}: {result.summary()}")
    for warning in result.warnings:
        console.print(escape(f"  warning: {warning}"))
    console.print(f"  sources: {', '.join(result.sources)}")


@group.command("fit")
@handle_errors
@with_output
def fit_command(
    guide: Annotated[str, typer.Option("--guide", help="Guide, guide extension or microcatheter.")],
    device: Annotated[
        list[str],
        typer.Option("--device", help="A device side by side in the lumen; repeat the option."),
    ],
    output_format: FormatOption = OutputFormat.text,
) -> None:
    """Whether devices pass side by side through a guide: lumen, sum, margin, verdict.

    Example: stentguide devices fit --guide "Launcher 6F" --device "stent 3.0x18" --device
    "balloon 1.5x12 SC"
    """
    result = dv.check_fit(guide, device)
    if output_format is OutputFormat.json:
        print_json(result.model_dump(mode="json"))
        return
    table = Table(title=f"{result.container}: {result.verdict.replace('_', ' ')}")
    for column in ("device", "part", "profile mm", "estimated"):
        table.add_column(column)
    for item in result.items:
        table.add_row(
            item.device, item.part, f"{item.profile_mm:.2f}", "yes" if item.estimated else ""
        )
    console.print(table)
    console.print(result.explanation)
    console.print(f"sources: {', '.join(result.sources)}")


@group.command("snare")
@handle_errors
@with_output
def snare_command(
    vessel: Annotated[str, typer.Option("--vessel", help="Vessel diameter, e.g. '3' or '3 mm'.")],
    catheter: Annotated[str, typer.Option("--catheter", help="Guide or catheter to pass.")],
    alongside: Annotated[
        list[str] | None,
        typer.Option("--alongside", help="A device left in the lumen beside the snare; repeat."),
    ] = None,
    output_format: FormatOption = OutputFormat.text,
) -> None:
    """Which catalogue snare opens to a vessel and passes through a catheter.

    Example: stentguide devices snare --vessel 3 --catheter "Launcher 6F" --alongside
    "0.014 in wire"
    """
    vessel_mm = parse_length(vessel, field="vessel")
    result = dv.choose_snare(vessel_mm, catheter, alongside or [])
    if output_format is OutputFormat.json:
        print_json(result.model_dump(mode="json"))
        return
    console.print(result.explanation)
    for option in result.options[1:]:
        console.print(f"  also: {option.snare} ({option.fit.verdict.replace('_', ' ')})")


def register(app: typer.Typer) -> None:
    """Add the ``devices`` command group to the main application."""
    app.add_typer(group)
