"""Device fit checks per second over the whole catalogue, against plain arithmetic.

Subject: :func:`stentguide.devices.check_fit` for every guide and guide extension
of the catalogue against every pair of catalogue devices that pass through a
lumen (balloons, stents, wires, snares), producing the full result (margin,
verdict, explanation, sources). Baseline, measured in the same run: the bare
float comparison ``a + b <= lumen`` on the same pairs, i.e. what the check costs
over the arithmetic it wraps. A second row times
:func:`stentguide.devices.check_requirement` (what the protocol engine calls on
each step) against a dictionary lookup of the declared role.
"""

from __future__ import annotations

import itertools

from bench._common import Result, rate
from stentguide import devices as dv
from stentguide.devices.fit import lumen_of, profile_of


def run() -> list[Result]:
    containers = dv.list_devices("guide") + dv.list_devices("guide_extension")
    movers = [d for d in dv.list_devices() if d.kind in {"balloon", "stent", "guidewire", "snare"}]
    pairs = list(itertools.combinations(movers, 2))
    lumens = [lumen_of(c).value for c in containers]
    profiles = [(profile_of(a)[1].value, profile_of(b)[1].value) for a, b in pairs]

    def subject() -> int:
        for container in containers:
            for a, b in pairs:
                dv.check_fit(container, [a, b])
        return len(containers) * len(pairs)

    def baseline() -> int:
        hits = 0
        for lumen in lumens:
            for pa, pb in profiles:
                hits += pa + pb <= lumen
        return len(lumens) * len(profiles) if hits >= 0 else 0

    requirement = dv.DeviceRequirement(
        role="retrieval_balloon",
        kind="balloon",
        label="small balloon beside the stent",
        max_diameter_mm=1.5,
        inflate_at_atm=3,
        fits_with=["stent"],
        sources=["AMSTUTZ23_PTCA"],
    )
    declared = {
        "guide": "Launcher 6F",
        "stent": "Orsiro 3.0x18",
        "retrieval_balloon": "Emerge 1.5x12",
    }

    def check() -> int:
        dv.check_requirement(requirement, declared)
        return 1

    def lookup() -> int:
        return len(declared.get("retrieval_balloon", "")) and 1

    total = len(containers) * len(pairs)
    return [
        Result(
            name="devices: fit checks over the catalogue",
            unit="checks/s",
            subject=rate(subject, min_seconds=0.5, repeat=1),
            baseline=rate(baseline, min_seconds=0.5, repeat=1),
            baseline_name="plain float sum",
            note=f"{total} checks per pass",
        ),
        Result(
            name="devices: step requirement checks",
            unit="checks/s",
            subject=rate(check),
            baseline=rate(lookup),
            baseline_name="dict lookup of the role",
        ),
    ]
