"""Management pathways as data, and the engine that runs them step by step.

>>> from stentguide.protocols import start
>>> s = start("partial-stent-loss")
>>> s.current.id  # doctest: +SKIP
"""

from stentguide.protocols.engine import (
    SESSION_FORMAT,
    CaseContext,
    Event,
    PreconditionStatus,
    Session,
    Step,
    start,
)
from stentguide.protocols.loader import (
    get_protocol,
    load_protocol_file,
    load_protocols,
    parse_protocol,
)
from stentguide.protocols.model import (
    ActionNode,
    AssessNode,
    OutcomeCategory,
    OutcomeGroup,
    OutcomeNode,
    Protocol,
)
from stentguide.protocols.render import protocol_as_dict, render_mermaid, render_record, render_tree

__all__ = [
    "SESSION_FORMAT",
    "ActionNode",
    "AssessNode",
    "CaseContext",
    "Event",
    "OutcomeCategory",
    "OutcomeGroup",
    "OutcomeNode",
    "PreconditionStatus",
    "Protocol",
    "Session",
    "Step",
    "get_protocol",
    "load_protocol_file",
    "load_protocols",
    "parse_protocol",
    "protocol_as_dict",
    "render_mermaid",
    "render_record",
    "render_tree",
    "start",
]
