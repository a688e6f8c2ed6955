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
    cds_client: Annotated[
        list[str] | None,
        typer.Option(
            "--cds-client",
            metavar="ISSUER=JWKS",
            help="A CDS client (EHR) trusted to call /cds-services: its JWT issuer and its "
            "public JWK Set (https URL or file). Repeatable; when given, every CDS Hooks "
            "call must carry a JWT one of them signed.",
        ),
    ] = None,
    cds_audience: Annotated[
        str | None,
        typer.Option(
            "--cds-audience",
            metavar="URL",
            help="The base URL the CDS clients call this server at (https://host); a "
            "token's aud must be it plus the endpoint's path. Required with --cds-client "
            "in --production.",
        ),
    ] = None,
    cds_open: Annotated[
        bool | None,
        typer.Option(
            "--cds-open/--cds-closed",
            help="With no --cds-client: take CDS Hooks calls without a token (the site "
            "restricts who reaches them). Default: open, closed with --production.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Serve the web app (pages and the JSON API under /api/) until interrupted.

    Example: stentguide serve --port 8080 --demo
    """
    import uvicorn

    from stentguide.interop.cds_hooks.trust import CdsClient, audience_base
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
        cds_clients=tuple(CdsClient.parse(text) for text in cds_client or ()),
        cds_audience=audience_base(cds_audience) if cds_audience is not None else None,
        cds_open=cds_open,
        warm_up=True,
    )
    if production:
        check_production(settings, host=host, tls=tls, behind_proxy=behind_proxy)
    existing_db(db)
    app = create_app(settings)  # a bad database is reported (exit 2) before the port is taken
    if production:
        try:
            check_no_demo_account(app.state.registry, DEMO_ADMIN)
        except BaseException:
            app.state.registry.close()
            raise
    listener = _listen(host, port)
    scheme = "https" if tls else "http"
    err_console.print(
        f"stentguide on {scheme}://{host}:{port}/ (database {app.state.registry.url})\n"
        f"{DISCLAIMER}",
        highlight=False,
        markup=False,
    )
    config = uvicorn.Config(
        app,
        log_level="warning",
        ssl_certfile=tls_certfile,
        ssl_keyfile=tls_keyfile,
        proxy_headers=behind_proxy,
        forwarded_allow_ips=forwarded_allow_ips if behind_proxy else None,
        server_header=False,
    )
    uvicorn.Server(config).run(sockets=[listener])


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
