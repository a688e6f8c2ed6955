"""The ``stentguide`` command line (Typer + Rich).

Each group of commands lives in its own module with a ``register(app)``
function. Only the module of the command being run is imported, so that a quick
command does not pay for the imports of every other face.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence

import typer

from stentguide import DISCLAIMER

app = typer.Typer(
    name="stentguide",
    help=f"Coronary stenting pathways, devices, risk scores and leaflets. {DISCLAIMER}",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)



@app.callback()
def _root() -> None:
    """Coronary stenting pathways, devices, risk scores and leaflets."""


# command name -> module of stentguide.cli that registers it
COMMAND_MODULES = {
    "protocols": "protocols",
    "run": "protocols",
    "devices": "devices",
    "score": "score",
    "leaflet": "leaflet",
    "cases": "cases",
    "db": "db",
    "users": "users",
    "serve": "serve",
    "train": "train",
}

_registered: set[str] = set()


def _register(argv: Sequence[str] | None = None) -> None:
    """Register the command named first in ``argv``, or every command when unknown or absent."""
    first = argv[0] if argv else None
    if first in COMMAND_MODULES:
        modules = [COMMAND_MODULES[first]]
    else:
        modules = sorted(set(COMMAND_MODULES.values()))
    for name in modules:
        if name not in _registered:
            importlib.import_module(f"stentguide.cli.{name}").register(app)
            _registered.add(name)


def main() -> None:
    """Entry point of the ``stentguide`` console script."""
    _register(sys.argv[1:])
    app()
