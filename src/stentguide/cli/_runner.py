"""The interactive terminal runner: shows each step with Rich and reads the answer.

All decisions are the engine's; this module only presents a :class:`Step` and
turns keystrokes into ``record``/``acknowledge``/``undo`` calls.
"""

from __future__ import annotations

from collections.abc import Callable

from rich.console import Console, Group
from rich.panel import Panel
from rich.text import Text

from stentguide.cli._common import DISCLAIMER
from stentguide.errors import SessionError
from stentguide.protocols import OutcomeNode, Session, Step, get_protocol, render_record, start
from stentguide.protocols.model import ActionNode
from stentguide.protocols.render import render_header

__all__ = ["run_interactive", "run_interactive_chain", "step_panel"]

_CHECK_STYLE = {"ok": ("ok", "green"), "fail": ("FAIL", "bold red"), "unknown": ("?", "yellow")}


def step_panel(step: Step) -> Panel:
    """A Rich panel with everything the operator needs at this step."""
    node = step.node
    parts: list[Text] = []
    if isinstance(node, ActionNode):
        parts.append(Text(node.instruction, style="bold"))
        for p in node.parameters:
            unit = f" {p.unit}" if p.unit else ""
            note = f"  ({p.note})" if p.note else ""
            parts.append(Text(f"  • {p.name}: {p.value}{unit}{note}", style="cyan"))
        parts.extend(Text(f"  ✗ avoid: {a}", style="magenta") for a in node.avoid)
    if isinstance(node, OutcomeNode):
        parts.append(Text(node.summary, style="bold"))
        parts.extend(Text(f"  • {f}") for f in node.follow_up)
        if node.continue_with:
            parts.append(
                Text(f"Continue with: stentguide run {node.continue_with}", style="yellow")
            )
    elif node.detail:
        parts.append(Text(node.detail, style="dim"))
    parts.extend(
        Text(f"⚠ precondition {pre.status}: {pre.message}", style="yellow")
        for pre in step.preconditions
        if pre.status != "met"
    )
    for check in step.device_checks:
        mark, style = _CHECK_STYLE[check.status]
        parts.append(Text(f"[{mark}] {check.label}: {check.message}", style=style))
    if step.key_messages:
        parts.append(Text("Key messages:", style="bold red"))
        for _key, text, acked in step.key_messages:
            parts.append(Text(f"  {'✓' if acked else '!'} {text}", style="red"))
    if not isinstance(node, OutcomeNode):
        parts.append(Text(node.question, style="bold underline"))
    title = f"{node.kind.upper()} · {node.title}"
    return Panel(Group(*parts), title=title, border_style="green" if step.is_outcome else "blue")


def _read(console: Console, prompt: str) -> str | None:
    try:
        return console.input(prompt).strip()
    except EOFError:
        return None


def _ask_number(console: Console, session: Session) -> Session | None:
    node = session.current
    assert not isinstance(node, OutcomeNode) and node.number is not None
    q = node.number
    while True:
        raw = _read(console, f"Value in {q.unit} ({q.minimum:g}-{q.maximum:g}), u=undo, q=quit: ")
        if raw is None or raw.lower() == "q":
            return None
        if raw.lower() == "u":
            return _undo(console, session)
        try:
            return session.record(node.id, raw)
        except SessionError as exc:
            console.print(f"[red]{exc}[/red]")


def _undo(console: Console, session: Session) -> Session:
    try:
        return session.undo("undone at the terminal")
    except SessionError as exc:
        console.print(f"[red]{exc}[/red]")
        return session


def _ask_choice(console: Console, session: Session) -> Session | None:
    node = session.current
    options = session.options()
    for index, (_answer_id, label) in enumerate(options, start=1):
        console.print(f"  [bold]{index}[/bold]  {label}")
    while True:
        raw = _read(console, "Choose a number, u=undo, r=record so far, q=quit: ")
        if raw is None or raw.lower() == "q":
            return None
        if raw.lower() == "u":
            return _undo(console, session)
        if raw.lower() == "r":
            console.print(render_record(session), highlight=False)
            continue
        if raw.isdigit() and 1 <= int(raw) <= len(options):
            return session.record(node.id, options[int(raw) - 1][0])
        console.print(f"[red]Type a number from 1 to {len(options)}, u, r or q.[/red]")


def _next(console: Console, session: Session) -> Session | None:
    """Show the current step and read one decision; None when the operator stops."""
    step = session.step()
    unacked = [key for key, _text, acked in step.key_messages if not acked]
    if unacked:
        raw = _read(console, "Key messages read and acted on? [Y/n] ")
        if raw is None:
            return None
        if raw.lower() in ("", "y", "yes"):
            session = session.acknowledge(step.node.id, unacked)
    node = session.current
    if isinstance(node, OutcomeNode):
        return session
    return _ask_number(console, session) if node.number else _ask_choice(console, session)


def run_interactive(
    session: Session, console: Console, on_change: Callable[[Session], None] | None = None
) -> Session:
    """Walk the operator through the session until an outcome or until they quit.

    ``on_change`` is called with the session after every recorded decision, so a
    store keeps the run even if the terminal is closed mid-way.
    """
    protocol = session.protocol
    console.print(Panel.fit(Text(render_header(protocol)), subtitle=DISCLAIMER))
    while True:
        step = session.step()
        console.print(step_panel(step))
        if step.is_outcome:
            return session
        nxt = _next(console, session)
        if nxt is None:
            console.print("[yellow]Stopped before an outcome; the record so far follows.[/yellow]")
            return session
        if on_change is not None and nxt is not session:
            on_change(nxt)
        session = nxt


def run_interactive_chain(
    session: Session, console: Console, on_change: Callable[[Session], None] | None = None
) -> list[Session]:
    """Run a pathway and, when it ends by changing pathway, offer the next with the same case.

    Returns every session run, in order; the next pathway starts from
    :meth:`Session.handover` (devices and the facts it knows).
    """
    sessions = [run_interactive(session, console, on_change)]
    while True:
        outcome = sessions[-1].outcome
        if outcome is None or outcome.continue_with is None:
            return sessions
        following = get_protocol(outcome.continue_with)
        raw = _read(console, f"Continue with '{following.title}'? [Y/n] ")
        if raw is None or raw.lower() not in ("", "y", "yes"):
            return sessions
        console.print(render_record(sessions[-1]), highlight=False)
        nxt = start(following, sessions[-1].handover(following))
        if on_change is not None:
            on_change(nxt)
        sessions.append(run_interactive(nxt, console, on_change))
