"""Cold start of the command line against the floor of its stack (Typer + Rich).

Subject: the CPU time (user + system, the operating system's own accounting of
the finished process) of ``stentguide --help``, ``stentguide score list`` and
``stentguide protocols list``, each a fresh Python process writing into a pipe.
Baseline, measured in the same run from the same interpreter:
``python -c "import typer, rich.console"``, the least any Typer + Rich command
line can cost. Runs alternate subject, baseline, subject, baseline... and each
ratio is the median of the per-pair ratios, so a machine that speeds up or slows
down during the run moves both sides. The rows are times, so here the ratio is
subject / baseline and LOWER is better; the goal is at most 1.5.
"""

from __future__ import annotations

import resource
import statistics
import subprocess
import sys
from pathlib import Path

from bench._common import Result

RUNS = 15
WARMUP = 2
FLOOR = [sys.executable, "-c", "import typer, rich.console"]
COMMANDS = {
    "cold start: stentguide --help": ["--help"],
    "cold start: stentguide score list": ["score", "list"],
    "cold start: stentguide protocols list": ["protocols", "list"],
}


def _cpu_ms(argv: list[str]) -> float:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return 1000 * cpu


def _entry_point() -> list[str]:
    """The installed ``stentguide`` script beside this Python, else ``python -m stentguide``."""
    script = Path(sys.executable).with_name("stentguide")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "stentguide"]


def run() -> list[Result]:
    rows: list[Result] = []
    for name, args in COMMANDS.items():
        subject_argv = [*_entry_point(), *args]
        for _ in range(WARMUP):
            _cpu_ms(subject_argv)
            _cpu_ms(FLOOR)
        subject, floor, ratios = [], [], []
        for _ in range(RUNS):
            a = _cpu_ms(subject_argv)
            b = _cpu_ms(FLOOR)
            subject.append(a)
            floor.append(b)
            if b > 0:
                ratios.append(a / b)
        ratio = statistics.median(ratios)
        rows.append(
            Result(
                name=name,
                unit="ms CPU per start (ratio: lower is better, goal <= 1.5)",
                subject=statistics.median(subject),
                baseline=statistics.median(subject) / ratio,
                baseline_name="python -c 'import typer, rich.console'",
                note=(
                    f"paired median ratio {ratio:.2f}; "
                    f"floor median {statistics.median(floor):.0f} ms"
                ),
            )
        )
    return rows
