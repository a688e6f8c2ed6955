"""``stentguide serve``: run the web app and its JSON API with uvicorn."""

from __future__ import annotations

import errno
import socket
from typing import Annotated

import typer

from stentguide.cli._common import DISCLAIMER, err_console, fail, handle_errors
from stentguide.cli._registry import DB_HELP, existing_db


@handle_errors
def serve(
    host: Annotated[
        str, typer.Option(help="Address to listen on; 0.0.0.0 to serve the whole network.")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="TCP port.")] = 8000,
    db: Annotated[str | None, typer.Option("--db", help=DB_HELP, metavar="URL")] = None,
    demo: Annotated[
        bool,
        typer.Option(
            "--demo",
            help="Seed an empty registry with synthetic demonstration cases "
            "(a separate demo database unless --db or $STENTGUIDE_DB names one).",
        ),
    ] = False,
    cds_fhir_server: Annotated[
        list[str] | None,
        typer.Option(
            "--cds-fhir-server",
            help="A FHIR server base URL the CDS Hooks service may read with a client's "
            "fhirAuthorization (repeatable; default: none).",
        ),
    ] = None,
) -> None:
    """Serve the web app (pages and the JSON API under /api/) until interrupted.

    Example: stentguide serve --port 8080 --demo
    """
    import uvicorn

    from stentguide.web import Settings, create_app

    existing_db(db)
    settings = Settings(
        database_url=db, demo=demo, cds_fhir_servers=tuple(cds_fhir_server or ())
    )
    app = create_app(settings)  # a bad database is reported (exit 2) before the port is taken
    listener = _listen(host, port)
    err_console.print(
        f"stentguide on http://{host}:{port}/ (database {app.state.registry.url})\n{DISCLAIMER}",
        highlight=False,
        markup=False,
    )
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    server.run(sockets=[listener])


def _listen(host: str, port: int) -> socket.socket:
    """The listening socket, opened before anything is printed: a busy port is one line."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        fail(f"host: cannot listen on {host!r}: {exc.strerror}")
    family, kind, proto, _name, address = infos[0]
    listener = socket.socket(family, kind, proto)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listener.bind(address)
    except OSError as exc:
        listener.close()
        reason = "is already in use" if exc.errno == errno.EADDRINUSE else f"failed: {exc.strerror}"
        fail(f"port: {host}:{port} {reason}; choose another with --port", 1)
    listener.listen(2048)
    listener.set_inheritable(True)
    return listener


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
