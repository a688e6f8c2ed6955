"""The interactive terminal runner: shows each step with Rich and reads the answer.

All decisions are the engine's; this module only presents a :class:`Step` and
turns keystrokes into ``record``/``acknowledge``/``undo`` calls.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping

from rich.console import Console, Group
from rich.markup import escape
from rich.panel import Panel
from rich.text import Text

from stentguide.cli._common import DISCLAIMER
from stentguide.errors import SessionError
from stentguide.protocols import OutcomeNode, Session, Step, get_protocol, render_record, start
from stentguide.protocols.model import ActionNode
from stentguide.protocols.render import render_header

__all__ = [
    "Interrupted",
    "ask_yes_no",
    "run_interactive",
    "run_interactive_chain",
    "step_panel",
]

_CHECK_STYLE = {"ok": ("ok", "green"), "fail": ("FAIL", "bold red"), "unknown": ("?", "yellow")}


def step_panel(
    step: Step, pending: int = 0, shorts: Mapping[str, str] | None = None
) -> Panel:
    """A Rich panel with what the operator needs now, the instruction last (near the prompt).

    Key messages new at this step come first in full, those acknowledged earlier on
    one line by their short forms; then device checks (only for devices declared)
    and unmet preconditions; the instruction, its parameters and the question come
    last, so that on an 80x24 terminal they stay on screen above the prompt.
    """
    node = step.node
    parts: list[Text] = []
    if step.key_messages and not isinstance(node, OutcomeNode):
        new = set(step.new_messages)
        for key, text, _acked in step.key_messages:
            if key in new:
                parts.append(Text(f"! {text}", style="red"))
        known = [key for key, _t, _a in step.key_messages if key not in new]
        if known:
            names = [(shorts or {}).get(key, key) for key in known]
            parts.append(Text("✓ " + " · ".join(names), style="dim"))
    for check in step.device_checks:
        if check.status == "unknown":
            continue  # no device declared for this role: nothing to say
        mark, style = _CHECK_STYLE[check.status]
        parts.append(Text(f"[{mark}] {check.label}: {check.message}", style=style))
    parts.extend(
        Text(f"⚠ {pre.message}", style="yellow")
        for pre in step.preconditions
        if pre.status == "unmet"
    )
    if isinstance(node, ActionNode):
        for p in node.parameters:
            unit = f" {p.unit}" if p.unit else ""
            parts.append(Text(f"▶ {p.value}{unit}  {p.name}", style="bold cyan"))
        parts.append(Text(node.instruction, style="bold"))
        parts.extend(Text(f"✗ avoid: {a}", style="magenta") for a in node.avoid)
    if isinstance(node, OutcomeNode):
        parts.append(Text(f"{node.category.group.label}", style="bold"))
        parts.append(Text(node.summary, style="bold"))
        parts.extend(Text(f"  • {f}") for f in node.follow_up)
    else:
        parts.append(Text(node.question, style="bold underline"))
    if pending:
        parts.append(Text(f"{pending} question(s) for the record: f to answer", style="dim"))
    title = f"{node.kind.upper()} · {node.title}"
    border = "blue"
    if isinstance(node, OutcomeNode):
        border = {"resolved": "green", "emergency": "red"}.get(node.category.group.value, "yellow")
    return Panel(Group(*parts), title=title, title_align="left", border_style=border)


def _read(console: Console, prompt: str) -> str | None:
    try:
        return console.input(escape(prompt)).strip()
    except EOFError:
        return None


def _read_key(console: Console, prompt: str) -> str | None:
    """One keystroke on a terminal (no Enter needed); a line when input is not a terminal."""
    if not sys.stdin.isatty():
        return _read(console, prompt)
    import termios
    import tty

    console.print(prompt, end="", highlight=False, markup=False)
    console.file.flush()
    fd = sys.stdin.fileno()
    old = termios.tcgetattr(fd)
    try:
        tty.setcbreak(fd, termios.TCSANOW)  # keep a key typed before the prompt
        key = sys.stdin.read(1)
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, old)
    if key in ("", "\x04"):
        console.print()
        return None
    console.print(key if key.isprintable() else "")
    return key.strip()


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
            return _with_ack(console, session, raw)
        except SessionError as exc:
            console.print(f"[red]{exc}[/red]")


def _undo(console: Console, session: Session) -> Session:
    try:
        return session.undo("undone at the terminal")
    except SessionError as exc:
        console.print(f"[red]{exc}[/red]")
        return session


def ask_yes_no(console: Console, prompt: str) -> bool | None:
    """y or n (one key on a terminal); anything else asks again; None at end of input."""
    while True:
        raw = _read_key(console, f"{prompt} [y/n] ")
        if raw is None:
            return None
        if raw.lower() in ("y", "yes"):
            return True
        if raw.lower() in ("n", "no"):
            return False
        console.print("[red]Type y or n.[/red]")


def _with_ack(console: Console, session: Session, answer: str) -> Session | None:
    """Record the answer; at an action with key messages not yet acknowledged, ask y/n first."""
    step = session.step()
    unacked = [key for key, _text, acked in step.key_messages if not acked]
    acknowledge: list[str] | None = None
    if unacked and isinstance(step.node, ActionNode):
        said = ask_yes_no(console, "Key messages read and acted on?")
        if said is None:
            return None
        acknowledge = unacked if said else None
    return session.record(step.node.id, answer, acknowledge=acknowledge)


def _ask_record(console: Console, session: Session) -> Session:
    """The questions for the record still open, one by one (Enter skips one)."""
    for question in session.pending_record:
        console.print(f"[bold]For the record:[/bold] {question.question}")
        options = [(a.id, a.label) for a in question.answers]
        for index, (_id, label) in enumerate(options, start=1):
            console.print(f"  [bold]{index}[/bold]  {label}")
        raw = _read_key(console, "Number, Enter to skip: ")
        if raw and raw.isdigit() and 1 <= int(raw) <= len(options):
            session = session.record(question.id, options[int(raw) - 1][0])
    return session


def _ask_choice(console: Console, session: Session) -> Session | None:
    options = session.options()
    for index, (_answer_id, label) in enumerate(options, start=1):
        console.print(f"  [bold]{index}[/bold]  {label}")
    keys = "u=undo s=stop r=record" + (" f=for the record" if session.pending_record else "")
    while True:
        raw = _read_key(console, f"Choose 1-{len(options)}, {keys}, q=quit: ")
        if raw is None or raw.lower() == "q":
            return None
        if raw.lower() == "u":
            return _undo(console, session)
        if raw.lower() == "s":
            return session.stop("stopped at the terminal")
        if raw.lower() == "f" and session.pending_record:
            return _ask_record(console, session)
        if raw.lower() == "r":
            console.print(render_record(session), highlight=False)
            continue
        if raw.isdigit() and 1 <= int(raw) <= len(options):
            return _with_ack(console, session, options[int(raw) - 1][0])
        console.print(f"[red]Type a number from 1 to {len(options)}, u, s, r or q.[/red]")


def _next(console: Console, session: Session) -> Session | None:
    """Read one decision at the current step; None when the operator quits."""
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
    shorts = {k: m.short or m.text for k, m in protocol.key_messages.items()}
    while True:
        step = session.step()
        if session.stopped:
            console.print(f"[bold yellow]Procedure stopped at: {step.node.title}[/bold yellow]")
            return session
        console.print(step_panel(step, len(session.pending_record), shorts))
        if session.finished:
            if session.pending_record:
                answered = _ask_record(console, session)
                if on_change is not None and answered is not session:
                    on_change(answered)
                session = answered
            return session
        nxt = _next(console, session)
        if nxt is None:
            console.print("[yellow]Stopped before an outcome; the record so far follows.[/yellow]")
            return session
        if on_change is not None and nxt is not session:
            on_change(nxt)
        session = nxt


class Interrupted(Exception):
    """Ctrl-C during a run: carries every session of the chain as far as it got."""

    def __init__(self, sessions: list[Session]) -> None:
        super().__init__("interrupted")
        self.sessions = sessions


def run_interactive_chain(
    session: Session,
    console: Console,
    on_change: Callable[[Session], None] | None = None,
    earlier: list[Session] | None = None,
) -> list[Session]:
    """Run a pathway and, when it ends by changing pathway, offer the next with the same case.

    Returns every session run, in order (after ``earlier``, the ones a resumed chain
    already had); the next pathway starts from :meth:`Session.handover` (devices and
    the facts it knows). Ctrl-C raises :class:`Interrupted` with the sessions so far.
    """
    sessions = [*(earlier or []), session]

    def changed(new: Session) -> None:
        sessions[-1] = new
        if on_change is not None:
            on_change(new)

    try:
        sessions[-1] = run_interactive(session, console, changed)
        while True:
            outcome = sessions[-1].outcome
            if outcome is None or outcome.continue_with is None:
                return sessions
            following = get_protocol(outcome.continue_with)
            if not ask_yes_no(console, f"Continue with '{following.title}'?"):
                return sessions
            nxt = start(following, sessions[-1].handover(following))
            sessions.append(nxt)
            changed(nxt)
            sessions[-1] = run_interactive(nxt, console, changed)
    except KeyboardInterrupt:
        raise Interrupted(sessions) from None
