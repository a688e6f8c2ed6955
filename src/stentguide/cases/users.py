"""Users, roles and passwords for the web app, with every change audited.

Passwords are hashed with Argon2id (argon2-cffi's defaults follow RFC 9106's
recommendations); a hash made with weaker parameters is upgraded on the next
successful login. A new password must pass
:func:`stentguide.cases.passwords.check_password` (length, and not a common or
breached password). Every change of a user's password, role or status, and every
logout, raises the user's session generation, which ends the sessions issued before.
Roles are ordered: a viewer reads, an operator also records cases and runs, an admin
also manages users. Usernames are staff logins, never patient data.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import enum
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from stentguide.cases import schema
from stentguide.cases.audit import append_audit, check_actor
from stentguide.cases.passwords import MIN_PASSWORD_LENGTH, check_password
from stentguide.errors import InputError, NotFoundError

if TYPE_CHECKING:
    from stentguide.cases.registry import Registry

__all__ = ["MIN_PASSWORD_LENGTH", "Role", "User", "UserStore"]

_hasher = PasswordHasher()


class Role(enum.StrEnum):
    """What a user may do; each role includes the ones before it."""

    viewer = "viewer"
    operator = "operator"
    admin = "admin"

    @property
    def rank(self) -> int:
        return list(Role).index(self)

    def allows(self, required: Role) -> bool:
        """Whether this role may do what ``required`` may."""
        return self.rank >= required.rank


@dataclass(frozen=True)
class User:
    """A user as the web app sees it (never the password hash)."""

    username: str
    role: Role
    active: bool
    created_at: dt.datetime
    session_generation: int = 0


def _username(username: str) -> str:
    name = username.strip() if isinstance(username, str) else ""
    if not name or len(name) > 64 or not all(ch.isalnum() or ch in "._-@" for ch in name):
        raise InputError(
            "bad username", {"username": "1 to 64 letters, digits or . _ - @ characters"}
        )
    return name


def _password(password: str, username: str) -> str:
    if not isinstance(password, str):
        raise InputError("bad password", {"password": "must be text"})
    check_password(password, username=username)
    return password


def _role(role: Role | str) -> Role:
    try:
        return Role(role)
    except ValueError:
        raise InputError(
            "unknown role", {"role": f"{role!r}: one of {', '.join(r.value for r in Role)}"}
        ) from None


def _user(row: sa.RowMapping) -> User:
    created = row["created_at"]
    return User(
        username=row["username"],
        role=Role(row["role"]),
        active=bool(row["active"]),
        created_at=created.replace(tzinfo=dt.UTC) if created.tzinfo is None else created,
        session_generation=int(row["session_generation"] or 0),
    )


class UserStore:
    """The users of one registry."""

    def __init__(self, registry: Registry) -> None:
        self.registry = registry

    def create(self, username: str, password: str, role: Role | str, *, actor: str) -> User:
        """Add a user; refuses a username already taken."""
        name, secret, grant, who = (
            _username(username),
            _password(password, username),
            _role(role),
            check_actor(actor),
        )
        now = dt.datetime.now(dt.UTC)
        with self.registry.engine.begin() as conn:
            taken = conn.execute(
                sa.select(schema.users.c.id).where(schema.users.c.username == name)
            ).first()
            if taken is not None:
                raise InputError("username taken", {"username": f"{name!r} already exists"})
            conn.execute(
                schema.users.insert(),
                {
                    "username": name,
                    "password_hash": _hasher.hash(secret),
                    "role": grant.value,
                    "active": True,
                    "created_at": now,
                    "password_changed_at": now,
                },
            )
            append_audit(
                conn,
                actor=who,
                action="create",
                entity="user",
                entity_id=name,
                detail={"role": grant.value},
            )
        return self.get(name)

    def get(self, username: str) -> User:
        """The user with this name; :class:`NotFoundError` if there is none."""
        row = self._row(username)
        if row is None:
            raise NotFoundError("user", username, "username")
        return _user(row)

    def _row(self, username: str) -> sa.RowMapping | None:
        with self.registry.read() as conn:
            return (
                conn.execute(sa.select(schema.users).where(schema.users.c.username == username))
                .mappings()
                .first()
            )

    def list(self) -> list[User]:
        """Every user, by name."""
        with self.registry.read() as conn:
            rows = (
                conn.execute(sa.select(schema.users).order_by(schema.users.c.username))
                .mappings()
                .all()
            )
        return [_user(row) for row in rows]

    def authenticate(self, username: str, password: str) -> User | None:
        """The user if the password is right and the account active, else ``None``.

        The same work is done for an unknown username as for a wrong password,
        so response time does not tell which usernames exist.
        """
        row = self._row(username)
        if row is None:
            with contextlib.suppress(VerificationError, InvalidHashError):
                _hasher.verify(_DUMMY_HASH.value, password)
            return None
        try:
            _hasher.verify(row["password_hash"], password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return None
        if not row["active"]:
            return None
        if _hasher.check_needs_rehash(row["password_hash"]):
            with self.registry.engine.begin() as conn:
                conn.execute(
                    schema.users.update()
                    .where(schema.users.c.id == row["id"])
                    .values(password_hash=_hasher.hash(password))
                )
        return _user(row)

    def set_password(self, username: str, password: str, *, actor: str) -> None:
        """Replace a user's password; the user's existing sessions end."""
        secret, who = _password(password, username), check_actor(actor)
        self._update(
            username,
            who,
            "set_password",
            {},
            password_hash=_hasher.hash(secret),
            password_changed_at=dt.datetime.now(dt.UTC),
        )

    def end_sessions(self, username: str, *, actor: str) -> User:
        """End every login session of a user (logout, or an admin's decision)."""
        self._update(username, check_actor(actor), "end_sessions", {})
        return self.get(username)

    def set_role(self, username: str, role: Role | str, *, actor: str) -> User:
        """Change a user's role."""
        grant, who = _role(role), check_actor(actor)
        before = self.get(username)
        self._update(
            username, who, "set_role", {"role": [before.role.value, grant.value]}, role=grant.value
        )
        return self.get(username)

    def set_active(self, username: str, active: bool, *, actor: str) -> User:
        """Deactivate (or reactivate) a user; a deactivated user cannot log in.

        Like every change here, it ends the user's existing sessions.
        """
        self._update(
            username, check_actor(actor), "activate" if active else "deactivate", {}, active=active
        )
        return self.get(username)

    def _update(
        self, username: str, who: str, action: str, detail: dict[str, object], **values: object
    ) -> None:
        with self.registry.engine.begin() as conn:
            done = conn.execute(
                schema.users.update()
                .where(schema.users.c.username == username)
                .values(session_generation=schema.users.c.session_generation + 1, **values)
            )
            if done.rowcount != 1:
                raise NotFoundError("user", username, "username")
            append_audit(
                conn, actor=who, action=action, entity="user", entity_id=username, detail=detail
            )


class _LazyHash:
    """A hash of a random password, made on first use (no work at import time)."""

    def __init__(self) -> None:
        self._value: str | None = None

    @property
    def value(self) -> str:
        if self._value is None:
            self._value = _hasher.hash(secrets.token_urlsafe(16))
        return self._value


_DUMMY_HASH = _LazyHash()
