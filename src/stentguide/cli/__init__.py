"""The ``stentguide`` command line (Typer + Rich).

Each group of commands lives in its own module with a ``register(app)``
function. The root group knows every command by name and one-line summary
(:data:`COMMANDS`) and imports a command's module only when that command is
run or its own help is asked for, so ``stentguide --help`` costs little more
than importing Typer and Rich: no Polars, NumPy, SQLAlchemy, Alembic or
WeasyPrint.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence
from typing import Any

import typer
from typer import _click as click  # the Click that Typer carries and builds commands with
from typer._click.exceptions import ClickException
from typer.core import TyperCommand, TyperGroup

from stentguide import DISCLAIMER, __version__
from stentguide.cli._typer import adjust_typer

__all__ = ["COMMANDS", "app", "main"]

# command name -> (module of stentguide.cli that registers it, one-line summary for --help)
COMMANDS: dict[str, tuple[str, str]] = {
    "protocols": ("protocols", "Browse, show and validate the management pathways."),
    "run": ("protocols", "Run a pathway step by step, interactively or from an answers file."),
    "devices": (
        "devices",
        "Device catalogue: sizes, diameter at a pressure, fit in a guide, snare choice.",
    ),
    "score": ("score", "Published PCI risk scores: one case or a whole CSV/Parquet file."),
    "leaflet": ("leaflet", "Render a patient leaflet (PDF or HTML) from a plan file."),
    "cases": ("cases", "Registry of PCI cases: list, show, import, export, statistics."),
    "db": ("db", "The registry database: schema status and upgrades."),
    "users": ("users", "Users and roles of the web app."),
    "serve": ("serve", "Serve the web app and its JSON API."),
    "train": ("train", "Training cases: play one, or list the case library."),
}

adjust_typer()

CONTEXT_SETTINGS: dict[str, Any] = {"help_option_names": ["-h", "--help"]}


class _Summary(TyperCommand):
    """A command not yet imported, shown in the root help by its summary only."""


class LazyGroup(TyperGroup):
    """The root group: commands come from :data:`COMMANDS`, imported on first use."""

    _listing = False

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(dict.fromkeys([*COMMANDS, *self.commands, *_built]))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.commands:
            return self.commands[cmd_name]
        if cmd_name not in COMMANDS:
            return None
        module, summary = COMMANDS[cmd_name]
        if self._listing:
            return _Summary(cmd_name, help=summary, short_help=summary)
        if cmd_name not in _built:
            _load(module, cmd_name)
        return _built.get(cmd_name)

    def format_help(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        self._listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self._listing = False

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        self._listing = False
        return super().resolve_command(ctx, args)


def _version(value: bool) -> None:
    if value:
        sys.stdout.write(f"stentguide {__version__}\n")
        raise typer.Exit(0)


app = typer.Typer(
    name="stentguide",
    help=f"Coronary stenting pathways, devices, risk scores and leaflets. {DISCLAIMER}",
    epilog="Example: stentguide devices fit --guide 'Launcher 6F' --device 'stent 3.0x18'",
    cls=LazyGroup,
    rich_markup_mode=None,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings=CONTEXT_SETTINGS,
)


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """Coronary stenting pathways, devices, risk scores and leaflets."""


_holders: dict[str, typer.Typer] = {}
_built: dict[str, click.Command] = {}


def _load(module: str, name: str | None = None) -> None:
    """Import a command module and build its command ``name`` (every one when None)."""
    holder = _holders.get(module)
    if holder is None:
        holder = typer.Typer(add_completion=False, context_settings=CONTEXT_SETTINGS)
        importlib.import_module(f"stentguide.cli.{module}").register(holder)
        _holders[module] = holder
    # Build only the command asked for: a module may hold several, each costing its own set-up.
    single = typer.Typer(add_completion=False, context_settings=CONTEXT_SETTINGS)
    single.registered_commands = [
        c
        for c in holder.registered_commands
        if name is None or (c.name or getattr(c.callback, "__name__", "")) == name
    ]
    single.registered_groups = [
        g for g in holder.registered_groups if name is None or _group_name(g) == name
    ]
    # A Typer with one plain command would be that command; a callback keeps it a group.
    single.callback()(lambda: None)
    built = typer.main.get_command(single)
    assert isinstance(built, TyperGroup)
    for command in built.commands.values():
        _plain_format(command)
    _built.update(built.commands)


def _group_name(info: Any) -> str | None:
    """The name a sub-application is added under (given to add_typer, else its own)."""
    for candidate in (info.name, info.typer_instance.info.name):
        if isinstance(candidate, str):
            return candidate
    return None


def _plain_format(command: Any) -> None:
    """Click's own help layout: no Rich panels, so help stays quick and pipes stay plain."""
    command.rich_markup_mode = None
    for sub in getattr(command, "commands", {}).values():
        _plain_format(sub)


def _register(argv: Sequence[str] | None = None) -> None:
    """Load the module of the command named first in ``argv``, or every module."""
    first = argv[0] if argv else None
    every = sorted({module for module, _summary in COMMANDS.values()})
    modules = [COMMANDS[first][0]] if first in COMMANDS else every
    for module in modules:
        _load(module)


def _usage_error(exc: ClickException) -> int:
    """One line on stderr for a usage error (bad option value, missing option), exit 2."""
    message = " ".join(exc.format_message().split()).replace("Value error, ", "")
    where = ""
    ctx = getattr(exc, "ctx", None)
    if ctx is not None:
        where = f" (see '{ctx.command_path} --help')"
    print(f"error: {message}{where}", file=sys.stderr)
    return exc.exit_code


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point of the ``stentguide`` console script."""
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        code = typer.main.get_command(app).main(
            args=args, prog_name="stentguide", standalone_mode=False
        )
    except ClickException as exc:
        code = _usage_error(exc)
    except typer.Abort:
        print("aborted", file=sys.stderr)
        code = 1
    sys.exit(code if isinstance(code, int) else 0)

