"""Load protocols from YAML: the shipped library or a user's own file."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from stentguide.errors import ProtocolError
from stentguide.knowledge import load_library, lookup, read_yaml, validate_data
from stentguide.protocols.checks import validate_protocol
from stentguide.protocols.model import Protocol

__all__ = ["get_protocol", "load_protocol_file", "load_protocols", "parse_protocol"]


def parse_protocol(raw: Any, origin: str) -> Protocol:
    """Validate already-parsed data as a protocol; errors name ``origin`` and the node."""
    protocol = validate_data(
        Protocol,
        raw,
        origin,
        error=ProtocolError,
        names={"nodes": "node"},
        skip=("assess", "action", "outcome"),
    )
    return validate_protocol(protocol, origin)


def load_protocol_file(path: str | Path) -> Protocol:
    """Load and validate one protocol file (YAML or JSON)."""
    path = Path(path)
    return parse_protocol(read_yaml(path, error=ProtocolError), path.name)


@functools.cache
def load_protocols() -> dict[str, Protocol]:
    """The shipped protocol library, by id (loaded and validated once)."""
    protocols = load_library(
        "protocols", load_protocol_file, lambda p: p.id, kind="protocol", error=ProtocolError
    )
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
    return lookup(load_protocols(), protocol_id, "protocol")
