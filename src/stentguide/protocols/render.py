"""Text renderings of protocols and session records: tree, Mermaid, timed record."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from stentguide import DISCLAIMER
from stentguide.protocols import record
from stentguide.protocols.engine import Session
from stentguide.protocols.model import ActionNode, OutcomeNode, Protocol

__all__ = [
    "protocol_as_dict",
    "render_header",
    "render_mermaid",
    "render_record",
    "render_tree",
]


def render_header(protocol: Protocol) -> str:
    """What every face shows before the steps: title, summary, evidence note, stop criteria."""
    lines = [protocol.title, protocol.summary, f"Evidence: {protocol.evidence_note}"]
    for key, criterion in protocol.stop_criteria.items():
        mark = "" if criterion.confidence == "confirmed" else " (unconfirmed)"
        lines.append(
            f"Stop criterion {key} [{criterion.action}]: {criterion.threshold}{mark} - "
            f"{criterion.meaning} [{', '.join(criterion.sources)}]"
        )
    review = protocol.reviews[-1]
    lines.append(
        f"Clinical review: {review.reviewer} ({review.role}), {review.date.isoformat()}, "
        f"version {review.version}: {review.outcome}"
    )
    return "\n".join(lines)


def protocol_as_dict(protocol: Protocol) -> dict[str, Any]:
    """The protocol as JSON-compatible data."""
    return protocol.model_dump(mode="json", exclude_none=True)


def _edges(protocol: Protocol, node_id: str) -> list[tuple[str, str]]:
    node = protocol.node(node_id)
    if isinstance(node, OutcomeNode):
        return []
    if node.number is not None:
        return [(b.label, b.next) for b in node.number.branches]
    return [(a.label, a.next) for a in node.answers]


def render_tree(protocol: Protocol) -> str:
    """An indented text tree from the start node; a node met twice is referenced, not repeated."""
    lines = [f"{protocol.title} ({protocol.id} {protocol.version})"]
    lines += render_header(protocol).splitlines()[1:]
    seen: set[str] = set()

    def walk(node_id: str, depth: int, via: str | None) -> None:
        node = protocol.node(node_id)
        pad = "    " * depth
        arrow = f"[{via}] -> " if via else ""
        kind = node.kind.upper()
        if node_id in seen:
            lines.append(f"{pad}{arrow}(see {node_id})")
            return
        seen.add(node_id)
        extra = f" = {node.category.value}" if isinstance(node, OutcomeNode) else ""
        if node.evidence is not None:
            extra += f" [evidence: {node.evidence.value}]"
        lines.append(f"{pad}{arrow}{kind} {node_id}: {node.title}{extra}")
        if isinstance(node, ActionNode):
            for p in node.parameters:
                unit = f" {p.unit}" if p.unit else ""
                lines.append(f"{pad}      * {p.name}: {p.value}{unit}")
        for label, nxt in _edges(protocol, node_id):
            walk(nxt, depth + 1, label)

    walk(protocol.start, 1, None)
    return "\n".join(lines)


def _mermaid_text(text: str) -> str:
    return text.replace('"', "'").replace("<", "&lt;").replace(">", "&gt;")


def render_mermaid(protocol: Protocol, current: str | None = None) -> str:
    """A Mermaid ``flowchart`` of the protocol; ``current`` is highlighted."""
    lines = ["flowchart TD"]
    for node in protocol.nodes:
        label = _mermaid_text(node.title)
        ident = node.id.replace("-", "_")
        if isinstance(node, OutcomeNode):
            lines.append(f'    {ident}(["{label}"])')
        elif isinstance(node, ActionNode):
            lines.append(f'    {ident}["{label}"]')
        else:
            lines.append(f'    {ident}{{"{label}"}}')
    for node in protocol.nodes:
        for label, nxt in _edges(protocol, node.id):
            a, b = node.id.replace("-", "_"), nxt.replace("-", "_")
            lines.append(f'    {a} -->|"{_mermaid_text(label)}"| {b}')
    lines.append("    classDef outcome fill:#e8f5e9,stroke:#2e7d32")
    outcomes = ",".join(n.id.replace("-", "_") for n in protocol.outcomes)
    lines.append(f"    class {outcomes} outcome")
    if current:
        lines.append(f"    style {current.replace('-', '_')} stroke:#c62828,stroke-width:4px")
    return "\n".join(lines)


def _clock(delta_seconds: float) -> str:
    minutes, seconds = divmod(round(delta_seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours:d}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes:02d}:{seconds:02d}"


def render_record(session: Session) -> str:
    """The timed, human-readable record of a session."""
    protocol = session.protocol
    events = session.events
    t0: datetime = events[0].at
    lines = [
        f"stentguide record: {protocol.title}",
        f"protocol {protocol.id} {protocol.version} - session {session.session_id}",
        f"started {t0.strftime('%Y-%m-%d %H:%M:%S')} UTC",
    ]
    if session.case.devices:
        lines.append(
            "devices: " + ", ".join(f"{r}={n}" for r, n in sorted(session.case.devices.items()))
        )
    if session.case.facts:
        lines.append(
            "facts: " + ", ".join(f"{k}={v}" for k, v in sorted(session.case.facts.items()))
        )
    lines.append("")
    for e in events:
        stamp = f"+{_clock((e.at - t0).total_seconds())}"
        title = protocol.node(e.node).title if e.node else ""
        lines.extend(
            f"{stamp:>9}  {line}" if n == 0 else f"{'':>9}  {line}"
            for n, line in enumerate(_event_lines(e, title))
        )
    lines.append("")
    outcome = session.outcome
    total = _clock((events[-1].at - t0).total_seconds())
    if outcome:
        lines.append(f"Outcome: {outcome.title} ({outcome.category.value}) after {total}.")
        lines.append(outcome.summary)
        lines.extend(f"  - follow-up: {item}" for item in outcome.follow_up)
    else:
        lines.append(f"In progress at: {session.current.title} ({total} so far).")
    lines.append("")
    lines.append(DISCLAIMER)
    return "\n".join(lines)


def _event_lines(event: record.Event, title: str) -> list[str]:
    """The record's lines for one event (none for the start)."""
    match event:
        case record.EnteredEvent(data=data):
            lines = [f"step      {title}"]
            lines.extend(
                f"          precondition {pre['status']}: {pre['message']}"
                for pre in data.preconditions or []
                if pre["status"] != "met"
            )
            for check in data.device_checks or []:
                mark = {"ok": "ok", "fail": "FAIL", "unknown": "?"}[check["status"]]
                lines.append(f"          device check [{mark}] {check['message']}")
            return lines
        case record.AcknowledgedEvent(data=data):
            return [f"ack       key messages: {', '.join(data.key_messages)}"]
        case record.AnsweredEvent(data=data):
            value = f" ({data.value:g} {data.unit})" if data.value is not None else ""
            return [f"answer    {data.label}{value}"]
        case record.UndoneEvent(data=data):
            reason = f": {data.reason}" if data.reason else ""
            return [f"undo      answer {data.answer!r} at {title}{reason}"]
        case record.DeclaredEvent(data=data):
            parts = [f"{k}={v}" for k, v in {**data.devices, **data.facts}.items()]
            return [f"declared  {', '.join(parts)}"]
        case record.EndedEvent(data=data):
            return [f"outcome   {title} [{data.category}]"]
        case record.StartedEvent():
            return []
