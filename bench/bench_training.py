"""Training mode benchmarks.

* load and validate every shipped case (pydantic models, the pathway graph
  checks and the training checks) against a plain ``yaml.safe_load`` of the
  same files;
* scripted play-throughs scored and debriefed per second (the expert path of
  every case, on the protocol engine) against scoring the same paths alone
  with the pure scoring model, to show what the replayable, timestamped
  session costs on top of the arithmetic.
"""

from __future__ import annotations

import yaml

from bench._common import Result, rate
from stentguide.knowledge import knowledge_path
from stentguide.training import debrief, load_case_file, load_cases, play_choices, score_path


def run() -> list[Result]:
    paths = sorted(knowledge_path("training").glob("*.yaml"))
    texts = [p.read_text(encoding="utf-8") for p in paths]

    def load_validate() -> int:
        for p in paths:
            load_case_file(p)
        return len(paths)

    def plain_yaml() -> int:
        for t in texts:
            yaml.safe_load(t)
        return len(texts)

    cases = list(load_cases().values())
    scripts = [(c, [ch.id for _m, ch in c.expert_path()]) for c in cases]
    paths_only = [(c, [(m.id, ch.id) for m, ch in c.expert_path()]) for c in cases]

    def play_and_debrief() -> int:
        for case, choices in scripts:
            debrief(play_choices(case, choices))
        return len(scripts)

    def score_only() -> int:
        for case, path in paths_only:
            score_path(case, path)
        return len(paths_only)

    return [
        Result(
            name="training: load + validate cases",
            unit="cases/s",
            subject=rate(load_validate),
            baseline=rate(plain_yaml),
            baseline_name="yaml.safe_load",
        ),
        Result(
            name="training: scripted play + debrief",
            unit="plays/s",
            subject=rate(play_and_debrief),
            baseline=rate(score_only),
            baseline_name="score_path alone",
        ),
    ]
