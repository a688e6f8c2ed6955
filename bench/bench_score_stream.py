"""Streaming file scoring: peak memory of the CLI at 10^5, 10^6 and 4×10^6 rows.

``stentguide score j-cto --input in.csv --output out.parquet --rejects bad.csv``
runs as its own process on synthetic J-CTO files (1 row in 1,000 with a bad cell,
so the rejects path is exercised); its peak RSS comes from ``wait4``, called by a
small launcher process (see :func:`_peak`). The ratio
is each size's peak against the 10^5-row run of the same benchmark (flat within
1.5× is the goal). The baseline process of the last row reads the whole
4×10^6-row file and scores it in one frame, as a file was scored before
streaming. Set ``STENTGUIDE_BENCH_STREAM_ROWS`` (comma-separated) for other sizes.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import polars as pl

from bench._common import Result

SIZES = [
    int(n)
    for n in os.environ.get("STENTGUIDE_BENCH_STREAM_ROWS", "100000,1000000,4000000").split(",")
]
BAD_EVERY = 1_000
_WHOLE = """
import sys
from pathlib import Path
from stentguide.risk import score_frame_with_rejects
from stentguide.risk._files import read_table, write_table
frame = read_table(Path(sys.argv[1]), ["occlusion_length_mm"])
scored, rejects = score_frame_with_rejects("j-cto", frame, invalid="skip")
write_table(scored, Path(sys.argv[2]))
write_table(rejects, Path(sys.argv[3]))
"""


def _write_input(path: Path, rows: int, rng: np.random.Generator) -> None:
    """A J-CTO CSV of ``rows`` rows, written in slices so the bench itself stays small."""
    step = 500_000
    with path.open("wb") as handle:
        for start in range(0, rows, step):
            n = min(step, rows - start)
            length = np.round(rng.uniform(2, 60, n), 1).astype(str).astype(object)
            length[(np.arange(start, start + n) % BAD_EVERY) == 7] = "unknown"
            frame = pl.DataFrame(
                {
                    "case_id": [f"c{i}" for i in range(start, start + n)],
                    "blunt_stump": rng.random(n) < 0.5,
                    "calcification": rng.random(n) < 0.5,
                    "bending_over_45_degrees": rng.random(n) < 0.3,
                    "occlusion_length_mm": pl.Series(length.tolist(), dtype=pl.String),
                    "retry_lesion": rng.random(n) < 0.2,
                }
            )
            frame.write_csv(handle, include_header=start == 0)


_LAUNCHER = """
import os, subprocess, sys, time
start = time.perf_counter()
child = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL)
_, status, usage = os.wait4(child.pid, 0)
print(os.waitstatus_to_exitcode(status), usage.ru_maxrss, time.perf_counter() - start)
"""


def _peak(argv: list[str]) -> tuple[float, float]:
    """Run a process to the end; its peak RSS in MiB and its wall time in seconds.

    Linux gives a process started from this one a peak RSS of at least this
    process's own peak so far (the memory it was spawned from counts until it
    runs its program), and ``make bench`` runs this after benchmarks that held
    hundreds of MiB. A small launcher process starts it instead and reports what
    ``wait4`` says of it.
    """
    done = subprocess.run(
        [sys.executable, "-c", _LAUNCHER, *argv], capture_output=True, text=True, check=True
    )
    code, kib, seconds = done.stdout.split()
    if int(code) != 0:
        raise RuntimeError(f"{argv[0]} failed: {done.stderr[-2000:]}")
    return int(kib) / 1024, float(seconds)  # Linux reports KiB


def run() -> list[Result]:
    rng = np.random.default_rng(20)
    cli = str(Path(sys.executable).with_name("stentguide"))
    results: list[Result] = []
    with tempfile.TemporaryDirectory() as folder:
        base = Path(folder)
        peaks: dict[int, tuple[float, float]] = {}
        for rows in SIZES:
            source = base / f"in{rows}.csv"
            _write_input(source, rows, rng)
            out, bad = base / "out.parquet", base / "bad.csv"
            argv = [cli, "score", "j-cto", "--input", str(source), "--output", str(out)]
            peaks[rows] = _peak([*argv, "--rejects", str(bad)])
            assert pl.scan_parquet(out).select(pl.len()).collect().item() < rows
            if rows != max(SIZES):
                source.unlink()
        first = min(SIZES)
        for rows in SIZES:
            rss, seconds = peaks[rows]
            results.append(
                Result(
                    name=f"score stream: CLI peak RSS, {rows:,} rows",
                    unit="MiB",
                    subject=rss,
                    baseline=peaks[first][0],
                    baseline_name=f"the same CLI at {first:,} rows",
                    note=f"{rows / seconds:,.0f} rows/s CSV in, Parquet out, {seconds:.1f} s",
                )
            )
        largest = max(SIZES)
        whole, seconds = _peak(
            [
                sys.executable,
                "-c",
                _WHOLE,
                str(base / f"in{largest}.csv"),
                str(base / "whole.parquet"),
                str(base / "whole_bad.csv"),
            ]
        )
        results.append(
            Result(
                name=f"score stream: peak RSS, {largest:,} rows",
                unit="MiB",
                subject=peaks[largest][0],
                baseline=whole,
                baseline_name="reading the whole file and scoring it as one frame",
                note=f"whole-file run {seconds:.1f} s",
            )
        )
    return results
