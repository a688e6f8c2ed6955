"""``stentguide train [CASE]``: play a training case and get the debrief.

Without a case, lists the case library (with a trainee's progress when
``--trainee`` is given). With a case, plays it interactively, or from a script
of choices with ``--choices FILE`` (``-`` reads standard input). A finished
attempt is stored in the registry database when ``--trainee`` names who played.
All judgement (consequences, scoring) is the core's: this module only asks and
shows.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from stentguide.cli._common import (
    DISCLAIMER,
    OutputFormat,
    console,
    fail,
    handle_errors,
    print_json,
)
from stentguide.cli._registry import DB_HELP, existing_db
from stentguide.errors import InputError
from stentguide.files import read_text_file
from stentguide.knowledge import parse_yaml
from stentguide.training import (
    AttemptStore,
    Debrief,
    End,
    Moment,
    Play,
    TrainingCase,
    begin,
    debrief,
    get_case,
    load_cases,
    play_choices,
)
from stentguide.training.store import validate_trainee

__all__ = ["register"]

_VERDICT_STYLE = {"expert": "green", "acceptable": "yellow", "wrong": "bold red"}
_STATUS_STYLE = {"kept": "green", "broken": "bold red", "not-tested": "dim"}


def _read_choices(path: Path) -> list[Any]:
    try:
        text = read_text_file(path, "choices file")
        data = parse_yaml(text, f"choices file {path}", error=InputError)
    except InputError as exc:
        fail(str(exc))
    if isinstance(data, dict):
        data = data.get("choices")
    if not isinstance(data, list):
        fail(f"choices file {path}: expected a list of choice ids, or an object with 'choices'")
    return data


def _library(trainee: str | None, db: str | None, fmt: OutputFormat) -> None:
    cases = list(load_cases().values())
    progress: dict[str, Any] = {}
    if trainee is not None:
        who = validate_trainee(trainee)
        with AttemptStore.open(existing_db(db)) as store:
            progress = {row.case_id: row for row in store.progress(who)}
    if fmt is OutputFormat.json:
        print_json(
            [
                {
                    "id": c.id,
                    "version": c.version,
                    "title": c.title,
                    "pathway": c.pathway,
                    "summary": c.summary,
                    **(
                        {"progress": progress[c.id].model_dump(mode="json")}
                        if c.id in progress
                        else {}
                    ),
                }
                for c in cases
            ]
        )
        return
    table = Table(title="Training cases")
    table.add_column("case", style="bold", no_wrap=True)
    table.add_column("title")
    table.add_column("pathway")
    if trainee is not None:
        table.add_column("attempts", justify="right")
        table.add_column("best", justify="right")
        table.add_column("last", justify="right")
    for c in cases:
        row = [c.id, c.title, c.pathway]
        if trainee is not None:
            p = progress.get(c.id)
            row += [str(p.attempts), f"{p.best:g}", f"{p.last:g}"] if p else ["0", "-", "-"]
        table.add_row(*row)
    console.print(table)
    console.print("[dim]Play one with: stentguide train CASE[/dim]")
    console.print(f"[dim]{DISCLAIMER}[/dim]")


def _setting_panel(case: TrainingCase) -> Panel:
    s = case.setting
    parts: list[Text] = [
        Text(s.patient, style="dim"),
        Text("Anatomy: ", style="bold") + Text(s.anatomy),
        Text("Devices in use:", style="bold"),
        *(Text(f"  • {d}") for d in s.devices),
        Text("On the screen: ", style="bold") + Text(s.seen),
        Text(f"Pathway taught: {case.pathway}", style="dim"),
        Text("Time and contrast costs are teaching estimates, not published figures.", "dim"),
    ]
    return Panel(Group(*parts), title=f"{case.title} (v{case.version})", border_style="blue")


def _moment_panel(moment: Moment) -> Panel:
    parts: list[Text] = [Text(moment.situation), Text(moment.question, style="bold underline")]
    parts += [Text(f"  {i}. {c.label}") for i, c in enumerate(moment.choices, start=1)]
    return Panel(Group(*parts), title=moment.title, border_style="cyan")


def _ask(moment: Moment) -> str | None:
    count = len(moment.choices)
    while True:
        try:
            raw = console.input(f"Your choice (1-{count}, q to stop): ").strip()
        except EOFError:
            return None
        if raw.lower() == "q":
            return None
        if raw.isdigit() and 1 <= int(raw) <= count:
            return moment.choices[int(raw) - 1].id
        if moment.choice(raw) is not None:
            return raw
        console.print(f"[yellow]Type a number from 1 to {count}, or q.[/yellow]")


def _play_interactively(case: TrainingCase) -> Play | None:
    play = begin(case)
    console.print(_setting_panel(case))
    while not isinstance(play.current, End):
        moment = play.current
        console.print(_moment_panel(moment))
        choice_id = _ask(moment)
        if choice_id is None:
            return None
        play = play.choose(choice_id)
        made = play.choices[-1].choice
        console.print(Panel(Text(made.consequence), title="What happens", border_style="magenta"))
    return play


def _path_table(title: str, steps: list[Any]) -> Table:
    table = Table(title=title, show_lines=True)
    table.add_column("#", justify="right")
    table.add_column("moment")
    table.add_column("choice")
    table.add_column("consequence")
    for i, s in enumerate(steps, start=1):
        style = _VERDICT_STYLE[s.verdict]
        table.add_row(
            str(i), s.moment_title, Text(f"{s.label} [{s.verdict}]", style=style), s.consequence
        )
    return table


def _print_debrief(result: Debrief, attempt_id: str | None) -> None:
    score = result.score
    console.print(
        Panel(
            Text(result.end_summary),
            title=f"End: {result.end_title} ({result.outcome})",
            border_style="green",
        )
    )
    if result.continue_with:
        console.print(f"The pathway continues with: [bold]{result.continue_with}[/bold]")
    console.print(_path_table("Your path", result.trainee_path))
    console.print(_path_table("Expert path", result.expert_path))
    messages = Table(title="Key messages")
    messages.add_column("status")
    messages.add_column("key message")
    for k in score.key_messages:
        messages.add_row(Text(k.status, style=_STATUS_STYLE[k.status]), k.text)
    console.print(messages)
    if score.broken:
        names = ", ".join(k.id for k in score.broken)
        console.print(f"[bold red]Broken key messages: {names}[/bold red]")
    parts = Table(title=f"Score {score.total:g} / {score.max_total:g}")
    parts.add_column("part")
    parts.add_column("points", justify="right")
    parts.add_column("detail")
    for p in score.parts:
        parts.add_row(p.name, f"{p.points:g} / {p.max_points:g}", p.detail)
    console.print(parts)
    console.print(f"Time taken: {result.elapsed_seconds:.0f} s")
    for step in result.trainee_path:
        if step.teaching_point:
            console.print(f"[yellow]• {step.teaching_point}[/yellow]")
    console.print("[bold]Teaching points[/bold]")
    for point in result.teaching_points:
        console.print(f"  • {point}")
    console.print("[bold]To read[/bold]")
    for item in result.reading:
        console.print(f"  [{item.key}] {item.citation}", highlight=False)
    if attempt_id:
        console.print(f"[dim]Attempt saved: {attempt_id}[/dim]")
    else:
        console.print("[dim]Attempt not saved: give --trainee ID to keep it.[/dim]")


def train(
    case_id: Annotated[
        str | None, typer.Argument(help="Case id; the case library when omitted.")
    ] = None,
    trainee: Annotated[
        str | None,
        typer.Option("--trainee", help="Who plays: the attempt is saved under this id."),
    ] = None,
    choices: Annotated[
        Path | None,
        typer.Option(
            "--choices",
            help="JSON or YAML list of choice ids, for a scripted play ('-' reads stdin).",
        ),
    ] = None,
    db: Annotated[
        str | None,
        typer.Option("--db", help=DB_HELP, metavar="URL"),
    ] = None,
    fmt: Annotated[
        OutputFormat, typer.Option("--format", help="text or json (json needs --choices).")
    ] = OutputFormat.text,
) -> None:
    """Play a training case, or list the case library.

    Example: stentguide train stent-loss-left-main --trainee fellow-7
    """
    if trainee is not None:
        validate_trainee(trainee)
    if case_id is None:
        if choices is not None:
            fail("--choices needs a CASE")
        _library(trainee, db, fmt)
        return
    case = get_case(case_id)
    if choices is not None:
        play = play_choices(case, _read_choices(choices))
    else:
        if fmt is OutputFormat.json:
            fail("--format json needs --choices FILE (an interactive play prints text)")
        interactive = _play_interactively(case)
        if interactive is None:
            console.print("Stopped; the attempt was not saved.")
            return
        play = interactive
    result = debrief(play)
    attempt_id: str | None = None
    if trainee is not None:
        with AttemptStore.open(existing_db(db)) as store:
            attempt_id = store.save(trainee, result).id
    if fmt is OutputFormat.json:
        print_json({**json.loads(result.model_dump_json()), "attempt_id": attempt_id})
    else:
        _print_debrief(result, attempt_id)


def register(app: typer.Typer) -> None:
    """Add ``stentguide train`` to the command line."""
    app.command("train")(handle_errors(train))
