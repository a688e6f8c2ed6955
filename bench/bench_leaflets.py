"""Leaflet rendering: HTML against plan validation; PDF seconds, the first and the ones after.

The PDF figures come from fresh processes, so that "the first" is the first of a
process: one renders straight away (as a process did before the set-up was
kept), one calls ``warm_up`` first (as ``stentguide serve`` does at start). The
same-run baselines for the PDFs after the first are the same layout with WeasyPrint's
set-up redone for every PDF (a font configuration of its own each time, as before),
and with the fonts subset by fontTools, WeasyPrint's fallback when the system has no
libharfbuzz-subset (``scripts/system-deps.sh`` installs it; it was missing before).
Wall seconds move with the machine's load, so the note gives CPU seconds too.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from bench._common import Result, rate
from stentguide.leaflets import parse_plan, render_html

_PLAN = {
    "access": "femoral",
    "stent_type": "bare_metal",
    "chronic_total_occlusion": True,
    "second_antiplatelet": "ticagrelor",
    "antiplatelet_months": 12,
    "procedure_date": "2025-01-31",
    "language": "fr",
    "patient_first_name": "Anne",
    "centre_phone": "+33 1 23 45 67 89",
}
PDFS = 8  # after the first, per way of rendering


def _validate() -> int:
    parse_plan(_PLAN)
    return 1


def _html() -> int:
    render_html(_PLAN)
    return 1


def _timed(fn: Callable[[], object], count: int) -> tuple[float, float]:
    """Median wall and CPU seconds of ``count`` calls of ``fn``."""
    walls, cpus = [], []
    for _ in range(count):
        wall, cpu = time.perf_counter(), time.process_time()
        fn()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return statistics.median(walls), statistics.median(cpus)


def _measure_in_this_process(warm: bool) -> dict[str, float]:
    """Run in a fresh process: the first PDF, then ``PDFS`` more, both ways."""
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    from stentguide.knowledge import knowledge_path
    from stentguide.leaflets.render import PDF_VARIANT, render_pdf, warm_up

    found: dict[str, float] = {}
    if warm:
        found["warm_up"] = warm_up()
    found["first"], found["first_cpu"] = _timed(lambda: render_pdf(_PLAN), 1)
    found["after"], found["after_cpu"] = _timed(lambda: render_pdf(_PLAN), PDFS)

    def set_up_each_time() -> None:
        fetcher = URLFetcher(allowed_protocols={"data", "file"}, fail_on_errors=True)
        base = str(knowledge_path("leaflets"))
        HTML(string=render_html(_PLAN), base_url=base, url_fetcher=fetcher).write_pdf(
            pdf_variant=PDF_VARIANT
        )

    found["before"], found["before_cpu"] = _timed(set_up_each_time, PDFS)
    from weasyprint.pdf import fonts

    found["harfbuzz_subset"] = float(fonts.harfbuzz_subset is not None)
    saved, fonts.harfbuzz_subset = fonts.harfbuzz_subset, None  # WeasyPrint's fallback
    try:
        found["fonttools"], found["fonttools_cpu"] = _timed(lambda: render_pdf(_PLAN), 3)
    finally:
        fonts.harfbuzz_subset = saved
    return found


def _import_path(root: Path) -> list[str]:
    """This checkout's bench and package first, then the caller's PYTHONPATH.

    Without ``src`` the fresh process would import whichever stentguide is
    installed (an editable install of another checkout, say), not the code
    beside this bench.
    """
    inherited = os.environ.get("PYTHONPATH", "")
    return [str(root), str(root / "src"), *filter(None, inherited.split(os.pathsep))]


def _fresh_process(warm: bool) -> dict[str, float]:
    root = Path(__file__).resolve().parent.parent
    code = (
        "import json, sys; from bench.bench_leaflets import _measure_in_this_process as m; "
        f"print(json.dumps(m({warm})))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=root,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(_import_path(root))},
        capture_output=True,
        text=True,
        check=True,
    )
    found: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return found


def run() -> list[Result]:
    render_html(_PLAN)
    validate = rate(_validate)
    html = rate(_html)
    cold = _fresh_process(warm=False)
    warm = _fresh_process(warm=True)
    subsetter = "HarfBuzz" if warm["harfbuzz_subset"] else "fontTools (no libharfbuzz-subset)"
    note = (
        f"after the first: {warm['after']:.3f} s ({warm['after_cpu']:.3f} s CPU), "
        f"set-up redone each time {warm['before']:.3f} s ({warm['before_cpu']:.3f} s CPU); "
        f"first of a process {cold['first']:.2f} s ({cold['first_cpu']:.2f} s CPU), "
        f"first after warm_up {warm['first']:.3f} s (warm_up {warm['warm_up']:.2f} s); "
        f"font subsetting by {subsetter}"
    )
    return [
        Result("leaflets: render HTML", "leaflets/s", html, validate, "plan validation only"),
        Result(
            "leaflets: PDF after the first",
            "1/s per PDF",
            1 / warm["after"],
            1 / warm["before"],
            "set-up redone for every PDF",
            note=note,
        ),
        Result(
            "leaflets: PDF, fonts subset by HarfBuzz",
            "1/s per PDF",
            1 / warm["after"],
            1 / warm["fonttools"],
            "fontTools subsetting (without libharfbuzz-subset)",
            note=f"fontTools {warm['fonttools']:.3f} s ({warm['fonttools_cpu']:.3f} s CPU)",
        ),
        Result(
            "leaflets: first PDF after warm_up",
            "1/s per PDF",
            1 / warm["first"],
            1 / cold["first"],
            "first PDF of a process without warm_up",
        ),
    ]
