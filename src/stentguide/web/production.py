"""What ``stentguide serve --production`` refuses to start with.

A production server must have its own secret key (the per-process random
default logs everyone out at each restart, and a key shared with a test or a
demo signs sessions an attacker could forge), no demo mode or demo account
(whose password is shown on the login page), and must not listen on a network
address in plain HTTP: either uvicorn serves TLS itself (``--tls-certfile`` and
``--tls-keyfile``) or a TLS-terminating reverse proxy is in front
(``--behind-proxy``, documented in ``docs/security.md``).
"""

from __future__ import annotations

import ipaddress

from stentguide.cases import Registry
from stentguide.cases.users import UserStore
from stentguide.errors import InputError, StentguideError
from stentguide.web.settings import SECRET_KEY_ENV, Settings

__all__ = ["ProductionRefusedError", "check_production", "is_loopback"]

_MIN_KEY = 32


class ProductionRefusedError(StentguideError):
    """The server is not fit to run in production as configured."""


def is_loopback(host: str) -> bool:
    """Whether ``host`` is a loopback address or ``localhost``."""
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_production(
    settings: Settings, *, host: str, tls: bool, behind_proxy: bool
) -> None:
    """Raise :class:`ProductionRefusedError` naming every reason not to start."""
    reasons: list[str] = []
    if settings.secret_key_is_default or len(settings.secret_key) < _MIN_KEY:
        reasons.append(
            f"set ${SECRET_KEY_ENV} to a random secret of at least {_MIN_KEY} characters"
        )
    if settings.demo:
        reasons.append("remove --demo (the demo account's password is shown to anyone)")
    if not is_loopback(host) and not (tls or behind_proxy):
        reasons.append(
            f"--host {host} serves plain HTTP to the network: give --tls-certfile and "
            "--tls-keyfile, or put a TLS proxy in front and pass --behind-proxy"
        )
    if settings.cds_clients and settings.cds_audience is None:
        reasons.append(
            "give --cds-audience, the https URL the CDS clients call this server at (a "
            "token's aud is checked against it, not against the caller's Host header)"
        )
    if reasons:
        raise ProductionRefusedError("refusing to start in production: " + "; ".join(reasons))


def check_no_demo_account(registry: Registry, username: str) -> None:
    """Refuse a registry whose demo account is still active."""
    try:
        user = UserStore(registry).get(username)
    except InputError:
        return
    if user.active:
        raise ProductionRefusedError(
            f"refusing to start in production: the demo account {username!r} is active; "
            "deactivate it (stentguide users deactivate)"
        )
