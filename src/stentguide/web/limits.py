"""Request size limits: a body that is too large is refused with 413 before it is read.

:class:`BodyLimitMiddleware` is pure ASGI and sits in front of every route. A
request whose ``Content-Length`` is over the limit is answered 413 at once,
without reading a byte of its body; a body sent without a length (chunked) is
counted as it arrives and refused as soon as it passes the limit, so the server
never holds more than the limit of one request in memory. The import form has
its own, larger limit (:attr:`Settings.max_upload_bytes`): its file is spooled
to disk by the multipart parser and copied to a temporary file in chunks.

Error lists are cut too (:func:`truncate_problems`): a reply names at most
:data:`MAX_LISTED_PROBLEMS` problems and says how many more there were, so a
request full of bad keys cannot make a reply larger than itself.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = [
    "MAX_LISTED_PROBLEMS",
    "UPLOAD_PATHS",
    "BodyLimitMiddleware",
    "BodyTooLargeError",
    "truncate_list",
    "truncate_problems",
]

MAX_LISTED_PROBLEMS = 50
"""At most this many problems are listed in one reply; the rest are counted."""

UPLOAD_PATHS = frozenset({"/cases/import"})
"""The paths that take a file upload, with the larger upload limit."""

MORE_KEY = "…"
"""The key under which a cut problem list says how many problems were left out."""


def _mib(size: int) -> str:
    return f"{size / (1024 * 1024):g} MiB"


class BodyTooLargeError(HTTPException):
    """A request body passed its limit (HTTP 413)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        super().__init__(
            413, f"The request is too large: at most {_mib(limit)} may be sent here."
        )


class BodyLimitMiddleware:
    """Refuse request bodies over ``max_body_bytes`` (``max_upload_bytes`` on upload paths)."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        max_body_bytes: int,
        max_upload_bytes: int,
        upload_paths: frozenset[str] = UPLOAD_PATHS,
    ) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.max_upload_bytes = max_upload_bytes
        self.upload_paths = upload_paths

    def limit_for(self, path: str) -> int:
        """The body limit of a path."""
        return self.max_upload_bytes if path in self.upload_paths else self.max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["path"])
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await _refuse(scope, send, limit)
            return
        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLargeError(limit)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except BodyTooLargeError:
            if started:
                raise
            await _refuse(scope, send, limit)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def _refuse(scope: Scope, send: Send, limit: int) -> None:
    """Answer 413 in JSON for the API, in plain text otherwise, and close the connection."""
    message = BodyTooLargeError(limit).detail
    if str(scope.get("path", "")).startswith("/api"):
        body = json.dumps({"detail": message}).encode()
        media = b"application/json"
    else:
        body = message.encode()
        media = b"text/plain; charset=utf-8"
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", media),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def truncate_problems(
    problems: Mapping[str, str], limit: int = MAX_LISTED_PROBLEMS
) -> dict[str, str]:
    """The first ``limit`` problems, and a last entry counting the ones left out."""
    if len(problems) <= limit:
        return dict(problems)
    kept = dict(list(problems.items())[:limit])
    kept[MORE_KEY] = f"and {len(problems) - limit} more problem(s) not listed"
    return kept


def truncate_list(
    items: Sequence[dict[str, Any]], limit: int = MAX_LISTED_PROBLEMS
) -> list[dict[str, Any]]:
    """The first ``limit`` FastAPI-style ``detail`` entries, and one counting the rest."""
    if len(items) <= limit:
        return list(items)
    more = len(items) - limit
    return [
        *items[:limit],
        {"loc": ["body"], "msg": f"and {more} more problem(s) not listed", "type": "truncated"},
    ]
