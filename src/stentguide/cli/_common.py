"""What every CLI command shares: output format, the one-line error, exit codes.

Exit codes: 0 success, 1 a clinical or runtime refusal, 2 bad input (unknown
name, malformed file, impossible value). Errors print one line on stderr.
"""

from __future__ import annotations

import enum
import functools
import getpass
import inspect
import json
import os
import sys
import typing
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, NoReturn, ParamSpec, TypeVar

import typer
from rich.console import Console

from stentguide import DISCLAIMER
from stentguide.errors import InputError, KnowledgeError, ProtocolError, StentguideError

__all__ = [
    "DISCLAIMER",
    "OutputFormat",
    "OutputOption",
    "console",
    "err_console",
    "fail",
    "handle_errors",
    "print_json",
    "with_output",
    "written_to",
]

console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False)

P = ParamSpec("P")
R = TypeVar("R")


class OutputFormat(str, enum.Enum):
    """Output formats every listing and result command accepts."""

    text = "text"
    json = "json"


def resolve_actor(actor: str | None) -> str:
    """Who makes a change: ``--actor``, else ``$STENTGUIDE_ACTOR``, else the login name."""
    return actor or os.environ.get("STENTGUIDE_ACTOR") or getpass.getuser()


def fail(message: str, code: int = 2) -> NoReturn:
    """Print one line on stderr and exit with ``code`` (2: bad input)."""
    print(f"error: {message}", file=sys.stderr)
    raise typer.Exit(code)


def print_json(data: Any) -> None:
    """Print ``data`` as indented JSON on stdout (no colour, for scripts)."""
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n")


OutputOption = Annotated[
    Path | None,
    typer.Option(
        "--output", "-o", help="Write the result to FILE instead of the screen.", metavar="FILE"
    ),
]
"""``-o/--output FILE``: every command that prints a result can write it to a file."""


@contextmanager
def written_to(path: Path | None) -> Iterator[None]:
    """Send what the command prints on stdout to ``path`` (whole or not at all), if given."""
    if path is None:
        yield
        return
    part = path.with_name(path.name + ".part")
    try:
        handle = part.open("w", encoding="utf-8")
    except OSError as exc:
        fail(f"output: cannot write {path}: {exc.strerror}")
    screen = sys.stdout
    sys.stdout = handle
    try:
        yield
    except BaseException:
        sys.stdout = screen
        handle.close()
        part.unlink(missing_ok=True)
        raise
    sys.stdout = screen
    handle.close()
    part.replace(path)


def with_output(fn: Callable[..., R]) -> Callable[..., R]:
    """Give a command ``-o/--output FILE``: what it prints goes to FILE instead."""

    @functools.wraps(fn)
    def run(*args: Any, output: Path | None = None, **kwargs: Any) -> R:
        with written_to(output):
            return fn(*args, **kwargs)

    signature = inspect.signature(fn)
    hints = typing.get_type_hints(fn, include_extras=True)
    kept = [
        p.replace(annotation=hints.get(p.name, p.annotation))
        for p in signature.parameters.values()
    ]
    extra = inspect.Parameter(
        "output", inspect.Parameter.KEYWORD_ONLY, default=None, annotation=OutputOption
    )
    run.__signature__ = signature.replace(  # type: ignore[attr-defined]
        parameters=[*kept, extra], return_annotation=None
    )
    run.__annotations__ = {p.name: p.annotation for p in [*kept, extra]}
    return run


def handle_errors(fn: Callable[P, R]) -> Callable[P, R]:
    """Turn stentguide's errors into the one-line message and exit code 2."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return fn(*args, **kwargs)
        except (InputError, KnowledgeError, ProtocolError) as exc:
            fail(str(exc), 2)
        except StentguideError as exc:
            fail(str(exc), 1)

    return wrapper
