"""Run every benchmark module and print one table: ``python -m bench [NAME ...]``."""

from __future__ import annotations

import importlib
import pkgutil
import sys
from pathlib import Path

from bench._common import Result


def main(argv: list[str]) -> int:
    folder = Path(__file__).parent
    names = sorted(
        m.name for m in pkgutil.iter_modules([str(folder)]) if m.name.startswith("bench_")
    )
    if argv:
        names = [n for n in names if any(a in n for a in argv)]
    rows: list[Result] = []
    for name in names:
        print(f"running {name} ...", flush=True)
        module = importlib.import_module(f"bench.{name}")
        rows.extend(module.run())
    print()
    print(f"{'benchmark':46} {'subject':>14} {'baseline':>14} {'ratio':>8}  unit / baseline")
    for r in rows:
        print(
            f"{r.name:46} {r.subject:14,.1f} {r.baseline:14,.1f} {r.ratio:8.3g}  "
            f"{r.unit} vs {r.baseline_name}{' - ' + r.note if r.note else ''}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
