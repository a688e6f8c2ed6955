"""Protocol engine benchmarks.

* load and validate every shipped protocol (pydantic models and graph checks)
  against a plain ``yaml.safe_load`` of the same files;
* answers recorded per second along full walks of every pathway, against
  validating the same number of bare event objects (the least any record costs).
"""

from __future__ import annotations

from datetime import UTC, datetime

import yaml
from pydantic import TypeAdapter

from bench._common import Result, rate
from stentguide.knowledge import knowledge_path
from stentguide.protocols import Event, get_protocol, load_protocol_file, load_protocols, start
from stentguide.protocols.model import OutcomeNode


def _walk(protocol_id: str) -> int:
    session = start(get_protocol(protocol_id))
    answers = 0
    while not session.finished:
        node = session.current
        assert not isinstance(node, OutcomeNode)
        answer: str | float = (
            node.number.minimum if node.number is not None else session.options()[-1][0]
        )
        session = session.record(node.id, answer, acknowledge="all")
        answers += 1
    return answers


def run() -> list[Result]:
    paths = sorted(knowledge_path("protocols").glob("*.yaml"))
    texts = [p.read_text() for p in paths]

    def load_validate() -> int:
        for p in paths:
            load_protocol_file(p)
        return len(paths)

    def plain_yaml() -> int:
        for t in texts:
            yaml.safe_load(t)
        return len(texts)

    ids = sorted(load_protocols())

    def walks() -> int:
        return sum(_walk(i) for i in ids)

    per_walk = walks()
    now = datetime.now(UTC)

    event = TypeAdapter[Event](Event)

    def bare_events() -> int:
        for seq in range(per_walk):
            event.validate_python(
                {
                    "seq": seq,
                    "at": now,
                    "type": "answered",
                    "protocol_id": "p",
                    "protocol_version": "1.0.0",
                    "node": "n",
                    "data": {"answer": "a", "label": "A"},
                }
            )
        return per_walk

    return [
        Result(
            "protocols: load + validate",
            "files/s",
            rate(load_validate),
            rate(plain_yaml),
            "yaml.safe_load of the same files",
        ),
        Result(
            "protocols: answers recorded",
            "answers/s",
            rate(walks),
            rate(bare_events),
            "validating bare event objects",
            note="full walks of all pathways, key messages acknowledged",
        ),
    ]
