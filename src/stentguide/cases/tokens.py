"""Signed, expiring tokens for the web app: login sessions, CSRF protection and form state.

Both are HMAC-signed with the app's secret key (itsdangerous): a login-session token
carries the username and the user's session generation, and expires after
``max_age`` seconds; the server ends every session of a user by raising that
generation (logout, password change, role change, deactivation: see
:class:`stentguide.cases.users.UserStore`), so a copied token stops working; a CSRF
token is bound to one login session and must come back with every form that changes
data (the synchroniser-token pattern of the OWASP CSRF Prevention Cheat Sheet).
"""

from __future__ import annotations

import hmac

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

__all__ = ["DEFAULT_SESSION_SECONDS", "TokenSigner"]

DEFAULT_SESSION_SECONDS = 8 * 60 * 60


class TokenSigner:
    """Issue and check login-session and CSRF tokens with one secret key."""

    def __init__(self, secret_key: str, *, session_seconds: int = DEFAULT_SESSION_SECONDS) -> None:
        if not isinstance(secret_key, str) or len(secret_key) < 32:
            raise ValueError("the secret key must be a string of at least 32 characters")
        if session_seconds <= 0:
            raise ValueError("session_seconds must be positive")
        self.session_seconds = session_seconds
        self._sessions = URLSafeTimedSerializer(secret_key, salt="stentguide.session")
        self._csrf = URLSafeTimedSerializer(secret_key, salt="stentguide.csrf")
        self._secret_key = secret_key

    def session_token(self, username: str, generation: int = 0) -> str:
        """A token that names ``username`` and its session generation until it expires."""
        return self._sessions.dumps({"u": username, "g": generation})

    def session_claims(self, token: str) -> tuple[str, int] | None:
        """The username and session generation of a valid, unexpired token, else ``None``."""
        try:
            data = self._sessions.loads(token, max_age=self.session_seconds)
        except (SignatureExpired, BadSignature):
            return None
        if not isinstance(data, dict):
            return None
        user, generation = data.get("u"), data.get("g", 0)
        if not isinstance(user, str) or not isinstance(generation, int):
            return None
        return user, generation

    def session_user(self, token: str) -> str | None:
        """The username in a valid, unexpired session token, else ``None``."""
        claims = self.session_claims(token)
        return claims[0] if claims else None

    def csrf_token(self, session_token: str) -> str:
        """A CSRF token for forms shown within one login session."""
        return self._csrf.dumps({"s": session_token[-32:]})

    def check_csrf(self, csrf_token: str, session_token: str) -> bool:
        """Whether ``csrf_token`` was issued for this session and has not expired."""
        try:
            data = self._csrf.loads(csrf_token, max_age=self.session_seconds)
        except (SignatureExpired, BadSignature):
            return False
        bound = data.get("s") if isinstance(data, dict) else None
        return isinstance(bound, str) and hmac.compare_digest(bound, session_token[-32:])

    def seal(self, data: object, purpose: str) -> str:
        """Sign JSON-compatible ``data`` a page carries in a form: readable, not editable."""
        return URLSafeTimedSerializer(self._secret_key, salt=f"stentguide.{purpose}").dumps(data)

    def unseal(self, token: str, purpose: str) -> object | None:
        """The data of a token made by :meth:`seal` for ``purpose``, else ``None``."""
        serializer = URLSafeTimedSerializer(self._secret_key, salt=f"stentguide.{purpose}")
        try:
            data: object = serializer.loads(token, max_age=self.session_seconds)
        except (SignatureExpired, BadSignature):
            return None
        return data
