"""What the web app is configured with: the database, demo content and the signing key.

Settings are built once by the caller (``stentguide serve``, a test, a deployment
script) and handed to :func:`stentguide.web.create_app`; nothing is read from
the environment at import time.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import platformdirs

from stentguide.cases.database import DB_ENV, resolve_database_url

if TYPE_CHECKING:
    from stentguide.interop.cds_hooks.trust import CdsClient

__all__ = ["SECRET_KEY_ENV", "OidcSettings", "Settings", "demo_database_url"]

SECRET_KEY_ENV = "STENTGUIDE_SECRET_KEY"


def demo_database_url() -> str:
    """The SQLite file ``--demo`` uses when no database is named, apart from real data."""
    folder = Path(platformdirs.user_data_dir("stentguide", appauthor=False))
    return f"sqlite:///{folder / 'demo.sqlite'}"


_PROCESS_KEY = secrets.token_urlsafe(48)


def _secret_key() -> str:
    return os.environ.get(SECRET_KEY_ENV) or _PROCESS_KEY


@dataclass(frozen=True)
class OidcSettings:
    """Single sign-on: where the OpenID Connect provider is and who this app is to it."""

    issuer: str
    client_id: str
    client_secret: str = ""
    username_claim: str = "preferred_username"
    scope: str = "openid profile email"

    @property
    def metadata_url(self) -> str:
        """The provider's discovery document."""
        return self.issuer.rstrip("/") + "/.well-known/openid-configuration"


@dataclass(frozen=True)
class Settings:
    """Configuration of one web app instance.

    ``database_url``
        Where sessions in progress and the case registry live. ``None`` means
        ``$STENTGUIDE_DB``, else the default SQLite file of the registry (or, with
        ``demo``, a separate demo file so that synthetic cases never mix with real ones).
    ``demo``
        Seed an empty registry with the synthetic demonstration cases.
    ``demo_cases``
        How many synthetic cases to seed.
    ``secret_key``
        Signs login-session and CSRF tokens (``$STENTGUIDE_SECRET_KEY``, else a fresh
        random key per process, which logs everyone out at restart).
    ``anonymous_actor``
        Who the audit log names for a change made without a login.
    ``max_body_bytes``
        The largest request body accepted (413 above it, refused before it is read).
    ``max_upload_bytes``
        The largest file the import form accepts (spooled to disk, never held whole).
    ``max_import_rows``
        The most cases one import may hold.
    ``production``
        Refuse to start with a default secret key, a demo account or an exposed
        plain-HTTP bind (see :func:`stentguide.web.production.check_production`), and
        serve no interactive API docs unless ``docs`` is set.
    ``docs``
        Serve the interactive API docs at ``/docs`` (self-hosted assets); ``None``
        means on, except in production.
    ``oidc``
        Single sign-on with an OpenID Connect provider (:mod:`stentguide.web.oidc`);
        ``None`` (the default) means local passwords only.
    ``login_attempts``
        Failed logins allowed per account, and (times four) per address, in
        ``login_window_seconds`` before further attempts are refused with 429.
    ``cds_fhir_servers``
        The FHIR servers (base URLs) the CDS Hooks service may read with a client's
        ``fhirAuthorization`` when prefetched data is missing. Empty (the default): it
        reads none, so a caller cannot make the server fetch an arbitrary URL.
    ``cds_clients``
        The CDS clients (EHRs) trusted to call ``/cds-services``, each an issuer and
        the place of its public JWK Set (:class:`~stentguide.interop.cds_hooks.trust.CdsClient`).
        When any is listed, every CDS Hooks call must carry a JWT signed by one of
        them (401 otherwise). With none listed, see ``cds_open``.
    ``cds_audience``
        The base URL at which CDS clients call this server (``https://cds.example.org``):
        a token's ``aud`` must be it followed by the endpoint's path. ``None``: the URL
        of the request, whose host is the caller's ``Host`` header, so that a token
        another service received could be replayed here under that service's name;
        ``--production`` requires it with ``cds_clients``.
    ``cds_open``
        With no ``cds_clients``: whether the CDS endpoints take calls without a token,
        for a site that restricts who reaches them itself (mutual TLS, an IP
        allow-list; see "Access" in ``docs/interop.md``). ``None`` means open, except
        in production, where they then refuse every call (401).
    ``warm_up``
        Prepare the leaflet PDF renderer in the background as the app starts
        (:func:`stentguide.leaflets.render.warm_up`), so that the first PDF asked for
        costs no more than any other; ``stentguide serve`` turns it on.
    """

    database_url: str | None = None
    demo: bool = False
    demo_cases: int = 500
    secret_key: str = field(default_factory=_secret_key, repr=False)
    anonymous_actor: str = "web"
    max_body_bytes: int = 1024 * 1024
    max_upload_bytes: int = 20 * 1024 * 1024
    max_import_rows: int = 100_000
    production: bool = False
    docs: bool | None = None
    login_attempts: int = 5
    login_window_seconds: int = 15 * 60
    oidc: OidcSettings | None = None
    cds_fhir_servers: tuple[str, ...] = ()
    cds_clients: tuple[CdsClient, ...] = ()
    cds_audience: str | None = None
    cds_open: bool | None = None
    warm_up: bool = False

    @property
    def secret_key_is_default(self) -> bool:
        """Whether the key is the per-process random default (no key was configured)."""
        return self.secret_key == _PROCESS_KEY

    @property
    def cds_open_without_token(self) -> bool:
        """Whether CDS Hooks calls are taken without a client's JWT (none trusted, left open)."""
        if self.cds_clients:
            return False
        return (not self.production) if self.cds_open is None else self.cds_open

    @property
    def docs_enabled(self) -> bool:
        """Whether ``/docs`` is served."""
        return (not self.production) if self.docs is None else self.docs

    def resolved_database_url(self) -> str:
        """The URL the registry is opened at, following the order documented above."""
        if self.database_url is None and self.demo and not os.environ.get(DB_ENV):
            return demo_database_url()
        return resolve_database_url(self.database_url)
