"""The ``stentguide`` command line (Typer + Rich).

Each group of commands lives in its own module and is registered here; the
commands parse their arguments, call the core package and render the result.
"""

from __future__ import annotations

import typer

from stentguide.cli._common import DISCLAIMER

app = typer.Typer(
    name="stentguide",
    help=f"Coronary stenting pathways, devices, risk scores and leaflets. {DISCLAIMER}",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _register() -> None:
    from stentguide.cli import protocols

    protocols.register(app)
    from stentguide.cli import leaflet

    leaflet.register(app)
    from stentguide.cli import devices

    devices.register(app)
    from stentguide.cli import score

    score.register(app)
    from stentguide.cli import cases

    cases.register(app)
    from stentguide.cli import serve

    serve.register(app)


def main() -> None:
    """Entry point of the ``stentguide`` console script."""
    _register()
    app()
