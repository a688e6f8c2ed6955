"""``stentguide protocols ...`` and ``stentguide run``: browse, validate and run pathways."""

from __future__ import annotations

import enum
import json
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from stentguide.cli._common import (
    DISCLAIMER,
    OutputFormat,
    console,
    err_console,
    fail,
    handle_errors,
    print_json,
    resolve_actor,
    with_output,
)
from stentguide.cli._registry import DB_HELP
from stentguide.errors import InputError, SessionError
from stentguide.files import read_text_file

if TYPE_CHECKING:
    from stentguide.cases import Registry
    from stentguide.protocols import Protocol, Session

# The pathway engine is imported by the commands that use it, so that
# ``protocols list`` (a quick listing) starts as fast as Python and Typer allow.

protocols_app = typer.Typer(
    help="Browse and validate the management pathways.", no_args_is_help=True
)


class ShowFormat(str, enum.Enum):
    text = "text"
    mermaid = "mermaid"
    json = "json"
    fhir = "fhir"


@protocols_app.command("list")
@handle_errors
@with_output
def list_protocols(
    fmt: Annotated[OutputFormat, typer.Option("--format", help="text or json")] = OutputFormat.text,
) -> None:
    """List the shipped pathways.

    Example: stentguide protocols list --format json
    """
    from stentguide.listing import protocol_listing

    protocols = protocol_listing()
    if fmt is OutputFormat.json:
        print_json([p.as_dict() for p in protocols])
        return
    table = Table(title="Management pathways", show_lines=False)
    table.add_column("id", style="bold")
    table.add_column("version")
    table.add_column("title")
    for p in protocols:
        table.add_row(p.id, p.version, p.title)
    console.print(table)
    console.print(f"[dim]{DISCLAIMER}[/dim]")


@protocols_app.command("show")
@handle_errors
@with_output
def show_protocol(
    protocol_id: Annotated[str, typer.Argument(help="Pathway id, e.g. partial-stent-loss")],
    fmt: Annotated[
        ShowFormat, typer.Option("--format", help="text, mermaid, json or fhir")
    ] = ShowFormat.text,
) -> None:
    """Show a pathway as a text tree, a Mermaid flowchart, JSON or a FHIR R4 PlanDefinition.

    Example: stentguide protocols show partial-stent-loss --format fhir -o plan.json
    """
    from stentguide.protocols import get_protocol, protocol_as_dict, render_mermaid, render_tree

    protocol = get_protocol(protocol_id)
    if fmt is ShowFormat.json:
        print_json(protocol_as_dict(protocol))
    elif fmt is ShowFormat.fhir:
        from stentguide.interop import protocol_to_plan_definition

        print_json(protocol_to_plan_definition(protocol))
    elif fmt is ShowFormat.mermaid:
        sys.stdout.write(render_mermaid(protocol) + "\n")
    else:
        sys.stdout.write(render_tree(protocol) + "\n" + _roles_text(protocol))


@protocols_app.command("validate")
@handle_errors
@with_output
def validate(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(help="Protocol files to check; the shipped library when none is given."),
    ] = None,
    fmt: Annotated[OutputFormat, typer.Option("--format", help="text or json")] = OutputFormat.text,
) -> None:
    """Validate protocol files: schema, graph, key messages, facts and references.

    Example: stentguide protocols validate my-pathway.yaml
    """
    from stentguide.protocols import load_protocol_file, load_protocols

    if not paths:
        checked = [f"{p.id} {p.version}" for p in load_protocols().values()]
    else:
        checked = []
        for path in paths:
            protocol = load_protocol_file(path)
            checked.append(f"{protocol.id} {protocol.version} ({path.name})")
    if fmt is OutputFormat.json:
        print_json({"valid": True, "protocols": checked})
    else:
        for line in checked:
            console.print(f"[green]valid[/green] {line}")


def _roles_text(protocol: Protocol) -> str:
    """The device roles a case may declare for ``protocol``, with what each is."""
    meaning = {
        "guide": "the guiding catheter that holds the devices",
        "guide_extension": "a guide extension, when one holds the devices instead",
        **protocol.device_roles,
    }
    lines = [f"  {role}: {' '.join(meaning.get(role, '').split())}" for role in protocol.case_roles]
    return "Device roles (--device ROLE=NAME):\n" + "\n".join(lines) + "\n"


def _load_json_file(path: Path, what: str) -> Any:
    try:
        return json.loads(read_text_file(path, what))
    except InputError as exc:
        fail(str(exc))
    except json.JSONDecodeError as exc:
        fail(f"{what} {path} is not valid JSON: {exc.msg} at line {exc.lineno}")


def _parse_case(
    protocol: Protocol, case_file: Path | None, devices: list[str], facts: list[str]
) -> dict[str, Any]:
    case: dict[str, Any] = {"facts": {}, "devices": {}}
    if case_file is not None:
        loaded = _load_json_file(case_file, "case file")
        if not isinstance(loaded, dict):
            fail(f"case file {case_file} must hold a JSON object with 'facts' and 'devices'")
        case.update(loaded)
    for item in devices:
        role, sep, name = item.partition("=")
        if not sep or not role or not name:
            fail(f"--device takes ROLE=NAME (e.g. guide='6F guide 0.070in'), got {item!r}")
        case["devices"][role.strip()] = name.strip()
    typed: dict[str, str] = {}
    for item in facts:
        name, sep, raw = item.partition("=")
        if not sep or not name:
            fail(f"--fact takes NAME=VALUE (e.g. left_main_involved=false), got {item!r}")
        typed[name.strip()] = raw
    case["facts"].update(protocol.parse_facts(typed))
    if isinstance(case.get("devices"), dict):
        protocol.check_device_roles(case["devices"])
    return case


def _write_output(text: str, output: Path | None) -> None:
    if output is None:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
        return
    tmp = output.with_name(output.name + ".part")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(output)


def run(
    protocol_id: Annotated[
        str | None, typer.Argument(help="Pathway id; a menu of pathways when omitted.")
    ] = None,
    answers: Annotated[
        Path | None,
        typer.Option(
            help="JSON file of answers, for a non-interactive run (see docs/protocols.md)."
        ),
    ] = None,
    case_file: Annotated[
        Path | None, typer.Option("--case", help="JSON file with the case's facts and devices.")
    ] = None,
    device: Annotated[
        list[str] | None,
        typer.Option(
            "--device",
            help="ROLE=NAME, repeatable, e.g. stent='stent 3.0x18 10/16 atm'. ROLE is guide, "
            "guide_extension or one of the pathway's device roles, which 'stentguide protocols "
            "show ID' lists with what each is; a role the pathway does not use is refused.",
        ),
    ] = None,
    fact: Annotated[list[str] | None, typer.Option("--fact", help="NAME=VALUE case fact.")] = None,
    resume: Annotated[
        str | None,
        typer.Option(
            help="Resume a session saved as JSON (a file), or a run kept in the registry (its id)."
        ),
    ] = None,
    save: Annotated[
        Path | None, typer.Option(help="Write the session record (JSON) here when the run stops.")
    ] = None,
    fmt: Annotated[OutputFormat, typer.Option("--format", help="text or json")] = OutputFormat.text,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output", "-o", help="Write the record to FILE instead of the screen.", metavar="FILE"
        ),
    ] = None,
    store: Annotated[
        bool, typer.Option(help="Keep the run in the case registry (after every step).")
    ] = True,
    db: Annotated[str | None, typer.Option("--db", help=DB_HELP, metavar="URL")] = None,
    case_uid: Annotated[
        str | None, typer.Option("--case-uid", help="Attach the run to this registry case.")
    ] = None,
    actor: Annotated[
        str | None, typer.Option(help="Who runs it (else $STENTGUIDE_ACTOR, else the login name).")
    ] = None,
) -> None:
    """Run a pathway step by step, interactively or from an answers file.

    The run is kept in the case registry as it goes (--no-store keeps nothing); a
    scripted run is stored only when every answer applied.

    Example: stentguide run partial-stent-loss --device stent="stent 3.0x18 10/16 atm"
    --answers answers.json -o record.txt
    """
    from stentguide.cli._runner import Interrupted, run_interactive_chain
    from stentguide.protocols import get_protocol, render_record, start
    from stentguide.protocols.script import apply_answers

    if store:
        from stentguide.cli._registry import existing_db

        existing_db(db)  # before the run starts: a --db typo must not cost a recorded run
    keeper = _RunKeeper(db, case_uid, resolve_actor(actor)) if store else None
    earlier: list[Session] = []
    chain: list[Session] = []
    try:
        if resume is not None:
            earlier, session = _resume(resume, db)
        else:
            if protocol_id is None:
                if answers is not None:
                    fail("a non-interactive run needs a PROTOCOL_ID")
                protocol_id = _choose_protocol()
            protocol = get_protocol(protocol_id)
            session = start(protocol, _parse_case(protocol, case_file, device or [], fact or []))
        if answers is not None:
            session = apply_answers(session, _load_json_file(answers, "answers file"))
            chain = [*earlier, session]
        else:
            chain = run_interactive_chain(
                session, console, keeper.save if keeper else None, earlier=earlier
            )
            session = chain[-1]
        if keeper is not None:
            for each in chain:
                keeper.save(each)
    except Interrupted as stop:
        _save_interrupted(stop.sessions, keeper, save)
        raise typer.Exit(130) from None
    except (InputError, SessionError) as exc:
        fail(str(exc))
    finally:
        if keeper is not None:
            keeper.close()
    if save is not None:
        _write_output(json.dumps(_chain_json(chain), indent=2), save)
    if fmt is OutputFormat.json:
        record: dict[str, Any] = {"summary": session.summary(), "session": session.to_dict()}
        if len(chain) > 1:
            record["earlier"] = [s.to_dict() for s in chain[:-1]]
        _write_output(json.dumps(record, indent=2, ensure_ascii=False), output)
    else:
        _write_output("\n\n".join(render_record(s) for s in chain), output)


def _chain_json(chain: list[Session]) -> Any:
    """One session record, or the list of a chained run's records in order (saved whole)."""
    records = [s.to_dict() for s in chain]
    return records[0] if len(records) == 1 else records


def _resume(resume: str, db: str | None) -> tuple[list[Session], Session]:
    """The sessions of a saved run (a file) or of a run kept in the registry (an id)."""
    from stentguide.protocols import Session

    path = Path(resume)
    if not path.exists() and re.fullmatch(r"[0-9a-f]{32}", resume):
        from stentguide.cases import Registry
        from stentguide.runs import Runs

        with Registry.open(db) as registry:
            return [], Runs(registry).load(resume)
    data = _load_json_file(path, "session file")
    records = data if isinstance(data, list) else [data]
    if not records:
        fail("the session file holds no session")
    sessions = [Session.from_dict(r) for r in records]
    return sessions[:-1], sessions[-1]


def _save_interrupted(
    sessions: list[Session], keeper: _RunKeeper | None, save: Path | None
) -> None:
    """Ctrl-C: keep what was recorded and say how to go on."""
    last = sessions[-1]
    if keeper is not None:
        for each in sessions:
            keeper.save(each)
        err_console.print(
            "\n[yellow]Interrupted: the run is kept in the registry.[/yellow]\n"
            f"Resume with: stentguide run --resume {last.session_id}",
            soft_wrap=True,
        )
    target = save
    if target is None and keeper is None:
        target = Path(f"stentguide-run-{last.session_id[:8]}.json")
    if target is not None:
        target.write_text(json.dumps(_chain_json(sessions), indent=2), encoding="utf-8")
        err_console.print(
            f"\n[yellow]Interrupted: the session is saved in {target}.[/yellow]\n"
            f"Resume with: stentguide run --resume {target}",
            soft_wrap=True,
        )


class _RunKeeper:
    """Saves a session to the registry; opened at the first save."""

    def __init__(self, db: str | None, case_uid: str | None, actor: str) -> None:
        self.db, self.case_uid, self.actor = db, case_uid, actor
        self._registry: Registry | None = None

    def save(self, session: Session) -> None:
        if self._registry is None:
            from stentguide.cases import Registry
            from stentguide.cli._registry import existing_db

            self._registry = Registry.open(existing_db(self.db))
        from stentguide.runs import Runs

        Runs(self._registry).save(session, actor=self.actor, case_uid=self.case_uid)

    def close(self) -> None:
        if self._registry is not None:
            err_console.print(f"[dim]run kept in the registry ({self._registry.url})[/dim]")
            self._registry.close()


def _choose_protocol() -> str:
    from rich.panel import Panel

    from stentguide.protocols import load_protocols

    protocols = list(load_protocols().values())
    console.print(Panel.fit("stentguide - choose the situation you are in", subtitle=DISCLAIMER))
    for index, p in enumerate(protocols, start=1):
        console.print(f"  [bold]{index}[/bold]  {p.title}  [dim]({p.id})[/dim]")
    while True:
        choice = console.input("Number (q to quit): ").strip().lower()
        if choice in ("q", "quit"):
            raise typer.Exit(0)
        if choice.isdigit() and 1 <= int(choice) <= len(protocols):
            return protocols[int(choice) - 1].id
        console.print(f"[red]Type a number from 1 to {len(protocols)}.[/red]")


def register(app: typer.Typer) -> None:
    app.add_typer(protocols_app, name="protocols")
    app.command("run")(handle_errors(run))
