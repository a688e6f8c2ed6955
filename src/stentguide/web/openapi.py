"""The error answers every JSON operation can give, written into the OpenAPI document.

The errors map to HTTP in one place (:mod:`stentguide.web.errors`); this states the
same map in the schema so that a client (or a fuzzer) finds every status code an
operation may return documented: 422 for a body or parameter that fails a check,
404 for an id in the path that names nothing, 409 when a run has moved on, 503 when
the registry cannot be reached.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

__all__ = ["document_error_responses"]

_PROBLEM = {
    "type": "object",
    "properties": {
        "detail": {
            "anyOf": [
                {"type": "string"},
                {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "loc": {
                                "type": "array",
                                "items": {"anyOf": [{"type": "string"}, {"type": "integer"}]},
                            },
                            "msg": {"type": "string"},
                            "type": {"type": "string"},
                        },
                    },
                },
            ]
        }
    },
}
_REGISTRY_TAGS = {"sessions", "training"}


def _answer(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": _PROBLEM}}}


def _add(operation: dict[str, Any], status: str, description: str) -> None:
    operation.setdefault("responses", {}).setdefault(status, _answer(description))


def document_error_responses(app: FastAPI) -> None:
    """Make ``app.openapi()`` list the error answers of every ``/api`` operation."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = get_openapi(
            title=app.title,
            version=app.version,
            openapi_version=app.openapi_version,
            description=app.description,
            routes=app.routes,
            tags=app.openapi_tags,
            servers=app.servers,
        )
        for path, operations in schema.get("paths", {}).items():
            if not path.startswith("/api"):
                continue
            for method, operation in operations.items():
                tags = set(operation.get("tags", []))
                if operation.get("parameters") or operation.get("requestBody"):
                    _add(operation, "422", "A field is missing, of the wrong type or out of range.")
                if "{" in path:
                    _add(operation, "404", "The path names nothing that exists.")
                if tags & _REGISTRY_TAGS:
                    _add(operation, "503", "The registry database cannot be reached.")
                if "sessions" in tags and method == "post" and "{" in path:
                    _add(operation, "409", "The run has moved on: the step no longer applies.")
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
