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
            "(a separate demo database unless --db or $STENTGUIDE_DB names one); a demo "
            "account is made only on a database without real cases or users.",
        ),
    ] = False,
    production: Annotated[
        bool,
        typer.Option(
            "--production",
            help="Refuse to start with a default secret key, a demo account, or a "
            "network address in plain HTTP; no interactive API docs (see docs/security.md).",
        ),
    ] = False,
    tls_certfile: Annotated[
        str | None, typer.Option(help="TLS certificate (PEM): serve HTTPS directly.")
    ] = None,
    tls_keyfile: Annotated[str | None, typer.Option(help="TLS private key (PEM).")] = None,
    behind_proxy: Annotated[
        bool,
        typer.Option(
            "--behind-proxy",
            help="A TLS-terminating reverse proxy is in front: trust its X-Forwarded-* "
            "headers (from --forwarded-allow-ips).",
        ),
    ] = False,
    forwarded_allow_ips: Annotated[
        str, typer.Option(help="Proxy addresses whose X-Forwarded-* headers are trusted.")
    ] = "127.0.0.1",
    max_upload_mib: Annotated[
        int, typer.Option(min=1, max=4096, help="Largest import file accepted, in MiB.")
    ] = 20,
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
    from stentguide.web.auth import DEMO_ADMIN
    from stentguide.web.oidc import oidc_from_env
    from stentguide.web.production import check_no_demo_account, check_production

    if (tls_certfile is None) != (tls_keyfile is None):
        raise typer.BadParameter("give both --tls-certfile and --tls-keyfile, or neither")
    tls = tls_certfile is not None
    settings = Settings(
        database_url=db,
        demo=demo,
        production=production,
        max_upload_bytes=max_upload_mib * 1024 * 1024,
        oidc=oidc_from_env(),
        cds_fhir_servers=tuple(cds_fhir_server or ()),
    )
    if production:
        check_production(settings, host=host, tls=tls, behind_proxy=behind_proxy)
    app = create_app(settings)
    if production:
        try:
            check_no_demo_account(app.state.registry, DEMO_ADMIN)
        except BaseException:
            app.state.registry.close()
            raise
    scheme = "https" if tls else "http"
    err_console.print(
        f"stentguide on {scheme}://{host}:{port}/ (database {app.state.registry.url})\n"
        f"{DISCLAIMER}",
        highlight=False,
    )
    uvicorn.run(
        app,
        host=host,
        port=port,
        log_level="warning",
        ssl_certfile=tls_certfile,
        ssl_keyfile=tls_keyfile,
        proxy_headers=behind_proxy,
        forwarded_allow_ips=forwarded_allow_ips if behind_proxy else None,
        server_header=False,
    )


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
