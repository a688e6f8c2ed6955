"""Load protocols from YAML: the shipped library or a user's own file."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from stentguide.errors import ProtocolError, UnknownNameError
from stentguide.knowledge import knowledge_path, read_yaml
from stentguide.protocols.checks import validate_protocol
from stentguide.protocols.model import Protocol

__all__ = ["get_protocol", "load_protocol_file", "load_protocols", "parse_protocol"]


def _locate(raw: Any, loc: tuple[int | str, ...]) -> str:
    """Turn a pydantic error location into words, naming the node by its id."""
    parts: list[str] = []
    if len(loc) >= 2 and loc[0] == "nodes" and isinstance(loc[1], int):
        nodes = raw.get("nodes") if isinstance(raw, dict) else None
        node_id = None
        if isinstance(nodes, list) and loc[1] < len(nodes) and isinstance(nodes[loc[1]], dict):
            node_id = nodes[loc[1]].get("id")
        parts.append(f"node {node_id!r}" if node_id else f"node #{loc[1] + 1}")
        rest = loc[2:]
        if rest and rest[0] in ("assess", "action", "outcome"):
            rest = rest[1:]
    else:
        rest = loc
    if rest:
        parts.append(".".join(str(p) for p in rest))
    return " ".join(parts) or "top level"


def parse_protocol(raw: Any, origin: str) -> Protocol:
    """Validate already-parsed data as a protocol; errors name ``origin`` and the node."""
    try:
        protocol = Protocol.model_validate(raw)
    except ValidationError as exc:
        reasons = "; ".join(f"{_locate(raw, tuple(e['loc']))}: {e['msg']}" for e in exc.errors())
        raise ProtocolError(f"{origin}: {reasons}") from None
    return validate_protocol(protocol, origin)


def load_protocol_file(path: str | Path) -> Protocol:
    """Load and validate one protocol file (YAML or JSON)."""
    path = Path(path)
    return parse_protocol(read_yaml(path, error=ProtocolError), path.name)


@functools.cache
def load_protocols() -> dict[str, Protocol]:
    """The shipped protocol library, by id (loaded and validated once)."""
    protocols: dict[str, Protocol] = {}
    for path in sorted(knowledge_path("protocols").glob("*.yaml")):
        protocol = load_protocol_file(path)
        if protocol.id in protocols:
            raise ProtocolError(f"{path.name}: protocol id {protocol.id!r} is used twice")
        protocols[protocol.id] = protocol
    for protocol in protocols.values():
        for outcome in protocol.outcomes:
            if outcome.continue_with and outcome.continue_with not in protocols:
                raise ProtocolError(
                    f"{protocol.id}: node {outcome.id!r} continues with unknown protocol "
                    f"{outcome.continue_with!r}"
                )
    return protocols


def get_protocol(protocol_id: str) -> Protocol:
    """A shipped protocol by id; :class:`UnknownNameError` with close names otherwise."""
    protocols = load_protocols()
    try:
        return protocols[protocol_id]
    except KeyError:
        raise UnknownNameError("protocol", protocol_id, protocols) from None
