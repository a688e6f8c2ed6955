"""Every console block of README.md and docs/*.md runs as written, and shows what it says.

Blocks are found, not listed: a ```console block anywhere in README.md or docs/*.md
is a test. Each block runs in a fresh copy of ``docs/examples/`` (which holds every
file the documented commands read), with the package's ``stentguide`` first on the
PATH and an empty registry database of its own, commands in order, so a block may
build on its own earlier commands.

Inside a block:

- ``$ COMMAND`` is run by bash; it goes on over the next lines while a line ends in
  ``\\`` or a quote is open.
- A line starting with ``#`` (after spaces) is a comment.
- Any other line is output the command must show: each such line must appear in
  its output (stdout and stderr, spaces normalised), in order; ``...`` stands for
  anything, in a line or as a line.
- A command must exit with 0, unless its comment says ``exits N``.

Interactive commands read ``q`` (quit) from their standard input.
A ```yaml block whose first line is ``# docs/examples/NAME`` must be that file.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "docs" / "examples"
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
_BLOCK = re.compile(r"^```(console|yaml)[ \t]*\n(.*?)^```", re.MULTILINE | re.DOTALL)
_EXITS = re.compile(r"#.*\bexits (\d+)")


@dataclass
class Command:
    text: str
    line: int
    expected: list[str] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        found = _EXITS.search(self.text)
        return int(found.group(1)) if found else 0


@dataclass(frozen=True)
class Block:
    page: Path
    line: int
    kind: str
    body: str

    @property
    def name(self) -> str:
        return f"{self.page.relative_to(ROOT)}:{self.line}"


def _blocks(kind: str) -> list[Block]:
    found: list[Block] = []
    for page in PAGES:
        text = page.read_text(encoding="utf-8")
        for match in _BLOCK.finditer(text):
            if match.group(1) == kind:
                line = text.count("\n", 0, match.start()) + 2
                found.append(Block(page, line, kind, match.group(2)))
    return found


def _complete(text: str) -> bool:
    if text.rstrip().endswith("\\"):
        return False
    try:
        shlex.split(text, comments=True)
    except ValueError:  # an open quote: the command goes on
        return False
    return True


def parse(block: Block) -> list[Command]:
    lines = block.body.splitlines()
    commands: list[Command] = []
    index = 0
    while index < len(lines):
        line = lines[index]
        number = block.line + index
        index += 1
        if line.startswith("$ "):
            text = line[2:]
            while not _complete(text) and index < len(lines):
                text += "\n" + lines[index]
                index += 1
            commands.append(Command(text, number))
        elif not line.strip() or line.lstrip().startswith("#"):
            continue
        elif not commands:
            raise AssertionError(f"{block.name}: output before any '$ ' command: {line!r}")
        else:
            commands[-1].expected.append(line)
    return commands


def _environment(workdir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("STENTGUIDE_")}
    env.update(
        {
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
            "STENTGUIDE_DB": f"sqlite:///{workdir / 'registry.sqlite'}",
            "STENTGUIDE_ACTOR": "docs",
            "COLUMNS": "100",
            "NO_COLOR": "1",
        }
    )
    return env


def _flat(text: str) -> str:
    return " ".join(text.split())


def check_output(command: Command, output: str, where: str) -> None:
    shown = _flat(output)
    position = 0
    for line in command.expected:
        for piece in _flat(line).split("..."):
            wanted = piece.strip()
            if not wanted:
                continue
            found = shown.find(wanted, position)
            assert found >= 0, f"{where}: expected {line!r} in the output:\n{output}"
            position = found + len(wanted)


CONSOLE = _blocks("console")


def test_the_docs_have_console_blocks() -> None:
    assert len(CONSOLE) >= 8
    assert all(parse(block) for block in CONSOLE), "a console block without a '$ ' command"


@pytest.mark.parametrize("block", CONSOLE, ids=lambda b: b.name)
def test_console_block_runs_as_written(block: Block, tmp_path: Path) -> None:
    workdir = tmp_path / "examples"
    shutil.copytree(EXAMPLES, workdir)
    env = _environment(workdir)
    for command in parse(block):
        where = f"{block.page.relative_to(ROOT)}:{command.line}: $ {command.text}"
        done = subprocess.run(
            ["bash", "-c", command.text],
            check=False,
            cwd=workdir,
            env=env,
            input="q\n",
            capture_output=True,
            text=True,
            timeout=600,
        )
        output = done.stdout + done.stderr
        assert "Traceback" not in output, f"{where}:\n{output}"
        assert done.returncode == command.exit_code, f"{where} exited {done.returncode}:\n{output}"
        check_output(command, output, where)


@pytest.mark.parametrize(
    "block",
    [b for b in _blocks("yaml") if b.body.startswith("# docs/examples/")],
    ids=lambda b: b.name,
)
def test_yaml_block_is_the_shipped_example(block: Block) -> None:
    name = block.body.splitlines()[0].removeprefix("# docs/examples/").strip()
    assert (EXAMPLES / name).read_text(encoding="utf-8") == block.body


def test_parser_reads_continuations_comments_and_output() -> None:
    block = Block(
        ROOT / "README.md",
        1,
        "console",
        "$ stentguide score j-cto --json '{\"a\": 1,\n    \"b\": 2}'\n"
        "# a comment\n"
        "J-CTO score: 3 points\n"
        "$ stentguide run \\\n    --x   # exits 2\n",
    )
    first, second = parse(block)
    assert first.text.endswith("\"b\": 2}'") and first.expected == ["J-CTO score: 3 points"]
    assert second.exit_code == 2 and second.expected == []
