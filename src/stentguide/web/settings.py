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

import platformdirs

from stentguide.cases.database import DB_ENV, resolve_database_url

__all__ = ["SECRET_KEY_ENV", "Settings", "demo_database_url"]

SECRET_KEY_ENV = "STENTGUIDE_SECRET_KEY"


def demo_database_url() -> str:
    """The SQLite file ``--demo`` uses when no database is named, apart from real data."""
    folder = Path(platformdirs.user_data_dir("stentguide", appauthor=False))
    return f"sqlite:///{folder / 'demo.sqlite'}"


def _secret_key() -> str:
    return os.environ.get(SECRET_KEY_ENV) or secrets.token_urlsafe(48)


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
    ``cds_fhir_servers``
        The FHIR servers (base URLs) the CDS Hooks service may read with a client's
        ``fhirAuthorization`` when prefetched data is missing. Empty (the default): it
        reads none, so a caller cannot make the server fetch an arbitrary URL.
    """

    database_url: str | None = None
    demo: bool = False
    demo_cases: int = 500
    secret_key: str = field(default_factory=_secret_key, repr=False)
    anonymous_actor: str = "web"
    cds_fhir_servers: tuple[str, ...] = ()

    def resolved_database_url(self) -> str:
        """The URL the registry is opened at, following the order documented above."""
        if self.database_url is None and self.demo and not os.environ.get(DB_ENV):
            return demo_database_url()
        return resolve_database_url(self.database_url)
