"""``stentguide serve``: run the web app and its JSON API with uvicorn."""

from __future__ import annotations

from typing import Annotated

import typer

from stentguide.cli._common import DISCLAIMER, err_console, handle_errors


@handle_errors
def serve(
    host: Annotated[
        str, typer.Option(help="Address to listen on; 0.0.0.0 to serve the whole network.")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="TCP port.")] = 8000,
    db: Annotated[
        str | None,
        typer.Option(
            help="Database URL (sqlite:///FILE or postgresql+psycopg://...); "
            "default $STENTGUIDE_DB, else the registry's SQLite file."
        ),
    ] = None,
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
    """Serve the web app (pages and the JSON API under /api/) until interrupted."""
    import uvicorn

    from stentguide.web import Settings, create_app

    settings = Settings(database_url=db, demo=demo, cds_fhir_servers=tuple(cds_fhir_server or ()))
    app = create_app(settings)
    err_console.print(
        f"stentguide on http://{host}:{port}/ (database {app.state.registry.url})\n{DISCLAIMER}",
        highlight=False,
    )
    uvicorn.run(app, host=host, port=port, log_level="warning")


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
