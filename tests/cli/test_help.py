"""Every command's help: an example, plain placeholders, -h, one wording for --db."""

from __future__ import annotations

from typer.testing import CliRunner

from stentguide import cli
from stentguide.cli._registry import DB_HELP
from stentguide.protocols import load_protocols

runner = CliRunner()
PRINTS_A_RESULT = {
    "protocols list", "protocols show", "protocols validate", "run", "score", "leaflet",
    "devices list", "devices show", "devices inflate", "devices fit", "devices snare",
    "cases list", "cases show", "cases stats", "users list",
}  # fmt: skip


def _commands() -> dict[str, object]:
    """Every leaf command by its path ('cases stats'), loading every command module."""
    cli._register()
    found: dict[str, object] = {}

    def walk(prefix: str, command: object) -> None:
        subs = getattr(command, "commands", None)
        if subs:
            for name, sub in subs.items():
                walk(f"{prefix} {name}".strip(), sub)
        else:
            found[prefix] = command

    for name in cli.COMMANDS:
        walk(name, cli._built[name])
    return found


def _help(path: str, flag: str = "--help") -> str:
    result = runner.invoke(cli.app, [*path.split(), flag], terminal_width=100)
    assert result.exit_code == 0, (path, result.output)
    return result.output


def test_every_registered_command_is_in_the_command_table() -> None:
    cli._register()
    assert set(cli._built) == set(cli.COMMANDS)
    root = _help("")
    assert all(name in root for name in cli.COMMANDS)


def test_every_command_has_an_example_and_plain_placeholders() -> None:
    for path in _commands():
        text = _help(path)
        assert "Example" in text, path
        for python_type in ("<bool>", "<str>", "<int>", "<path>", "list[", "``"):
            assert python_type not in text, (path, python_type)
        assert "-h, --help" in text, path
        assert _help(path, "-h") == text
        if "--format" in text:  # a choice that includes json (text|json, pdf|html|json...)
            assert "|json" in text or "json|" in text, path


def test_commands_that_print_a_result_take_output() -> None:
    for path in PRINTS_A_RESULT:
        assert "-o, --output FILE" in _help(path), path


def test_db_is_described_one_way() -> None:
    flat_help = " ".join(DB_HELP.split())
    with_db = [p for p in _commands() if "--db URL" in _help(p)]
    assert len(with_db) >= 12
    for path in with_db:
        assert flat_help[:60] in " ".join(_help(path).split()), path


def test_valid_device_roles_are_listed() -> None:
    assert "protocols show ID" in " ".join(_help("run").split())
    for protocol in load_protocols().values():
        shown = runner.invoke(cli.app, ["protocols", "show", protocol.id], terminal_width=100)
        assert shown.exit_code == 0, shown.output
        listed = shown.output.split("Device roles (--device ROLE=NAME):")[1]
        assert all(f"  {role}:" in listed for role in protocol.case_roles), protocol.id


def test_version() -> None:
    result = runner.invoke(cli.app, ["--version"])
    assert result.exit_code == 0 and result.output.startswith("stentguide ")
