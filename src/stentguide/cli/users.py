"""``stentguide users``: the web app's users and their roles (every change audited)."""

from __future__ import annotations

import os
import sys
from typing import Annotated

import typer

from stentguide.cli._common import OutputFormat, console, handle_errors, print_json, resolve_actor
from stentguide.cli._registry import ActorOption, DbOption, FormatOption, open_registry

__all__ = ["register"]

users_app = typer.Typer(help="Users and roles of the web app.", no_args_is_help=True)

Username = Annotated[str, typer.Argument(help="Login name.")]
PasswordStdin = Annotated[
    bool, typer.Option("--password-stdin", help="Read the password from standard input.")
]


def _report(fmt: OutputFormat, data: dict[str, object], line: str) -> None:
    if fmt is OutputFormat.json:
        print_json(data)
    else:
        console.print(line)


def _password(password_stdin: bool) -> str:
    if password_stdin:
        return sys.stdin.readline().rstrip("\n")
    env = os.environ.get("STENTGUIDE_PASSWORD")
    if env:
        return env
    answer: str = typer.prompt("password", hide_input=True, confirmation_prompt=True)
    return answer


@users_app.command("add")
@handle_errors
def users_add(
    username: Username,
    role: Annotated[str, typer.Option("--role", help="viewer, operator or admin.")],
    password_stdin: PasswordStdin = False,
    db: DbOption = None,
    actor: ActorOption = None,
    fmt: FormatOption = OutputFormat.text,
) -> None:
    """Add a user (password from --password-stdin, $STENTGUIDE_PASSWORD or a prompt)."""
    with open_registry(db) as registry:
        user = registry.users.create(
            username, _password(password_stdin), role, actor=resolve_actor(actor)
        )
    _report(
        fmt,
        {"username": user.username, "role": user.role.value},
        f"added {user.username} ({user.role.value})",
    )


@users_app.command("list")
@handle_errors
def users_list(db: DbOption = None, fmt: FormatOption = OutputFormat.text) -> None:
    """List users and their roles."""
    with open_registry(db) as registry:
        found = registry.users.list()
    if fmt is OutputFormat.json:
        print_json(
            [{"username": u.username, "role": u.role.value, "active": u.active} for u in found]
        )
        return
    for user in found:
        console.print(
            f"{user.username}\t{user.role.value}\t{'active' if user.active else 'inactive'}"
        )


@users_app.command("set-role")
@handle_errors
def users_set_role(
    username: Username,
    role: Annotated[str, typer.Argument(help="viewer, operator or admin.")],
    db: DbOption = None,
    actor: ActorOption = None,
    fmt: FormatOption = OutputFormat.text,
) -> None:
    """Change a user's role."""
    with open_registry(db) as registry:
        user = registry.users.set_role(username, role, actor=resolve_actor(actor))
    _report(
        fmt,
        {"username": user.username, "role": user.role.value},
        f"{user.username} is now {user.role.value}",
    )


@users_app.command("deactivate")
@handle_errors
def users_deactivate(
    username: Username,
    db: DbOption = None,
    actor: ActorOption = None,
    fmt: FormatOption = OutputFormat.text,
) -> None:
    """Stop a user from logging in (the account and its history are kept)."""
    with open_registry(db) as registry:
        user = registry.users.set_active(username, False, actor=resolve_actor(actor))
    _report(
        fmt, {"username": user.username, "active": user.active}, f"{user.username} deactivated"
    )


def register(app: typer.Typer) -> None:
    """Add the ``users`` group to the main app."""
    app.add_typer(users_app, name="users")
