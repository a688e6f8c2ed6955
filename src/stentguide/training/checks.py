"""Checks run on every training case at load, and by ``cases validate-training``.

A case is accepted only if its graph passes the pathway graph checks (unique
ids, every choice leads to a moment or an end, every moment reachable, no
cycle, no dead end, every tracked key message at stake somewhere) and, on top
of them: it teaches a shipped pathway; the key messages it tracks, keeps and
breaks are that pathway's; each step a choice names is a node of that pathway;
every wrong choice has a consequence and a teaching point; no expert choice
breaks a key message and the expert path keeps every tracked one; a case that
continues with another pathway names a shipped one; and every ``sources``
entry names a known reference.
"""

from __future__ import annotations

from collections.abc import Iterator

from stentguide.errors import KnowledgeError
from stentguide.protocols import Protocol, load_protocols
from stentguide.protocols.checks import graph_problems
from stentguide.references import source_problems
from stentguide.training.model import TrainingCase, Verdict
from stentguide.training.pathway_graph import case_as_protocol

__all__ = ["case_problems", "validate_case"]


def _sources(case: TrainingCase) -> Iterator[tuple[str, list[str]]]:
    yield "case", case.sources
    yield "setting", case.setting.sources
    for moment in case.moments:
        yield f"moment {moment.id!r}", moment.sources
        for choice in moment.choices:
            yield f"moment {moment.id!r} choice {choice.id!r}", choice.sources
    for end in case.ends:
        yield f"end {end.id!r}", end.sources
    for index, point in enumerate(case.teaching_points, start=1):
        yield f"teaching point {index}", point.sources


def _pathway_problems(case: TrainingCase, pathway: Protocol) -> Iterator[str]:
    tracked = set(case.key_messages)
    if len(tracked) != len(case.key_messages):
        yield "key_messages: listed more than once"
    for key in case.key_messages:
        if key not in pathway.key_messages:
            yield (
                f"key message {key!r} is not one of pathway {pathway.id!r}'s "
                f"({', '.join(pathway.key_messages)})"
            )
    steps = {n.id for n in pathway.nodes}
    for moment in case.moments:
        for choice in moment.choices:
            where = f"moment {moment.id!r} choice {choice.id!r}"
            for key in (*choice.keeps, *choice.breaks):
                if key not in tracked:
                    yield f"{where}: key message {key!r} is not tracked by the case"
            if choice.step is not None and choice.step not in steps:
                yield f"{where}: step {choice.step!r} is not a node of pathway {pathway.id!r}"


def _choice_problems(case: TrainingCase) -> Iterator[str]:
    for moment in case.moments:
        for choice in moment.choices:
            where = f"moment {moment.id!r} choice {choice.id!r}"
            if choice.verdict is Verdict.wrong and not choice.teaching_point:
                yield f"{where}: a wrong choice needs a teaching_point"
            if choice.verdict is Verdict.expert and choice.breaks:
                yield f"{where}: the expert choice breaks {', '.join(choice.breaks)}"


def _expert_path_problems(case: TrainingCase) -> Iterator[str]:
    """The expert path reaches an end and keeps every tracked key message."""
    seen: set[str] = set()
    kept: set[str] = set()
    current = case.moment(case.start)
    while current is not None and current.id not in seen:
        seen.add(current.id)
        choice = current.expert_choice
        kept.update(choice.keeps)
        current = case.moment(choice.next)
    missing = [k for k in case.key_messages if k not in kept]
    if missing:
        yield (
            f"expert path: does not keep {', '.join(missing)} "
            "(it must keep every key message the case tracks)"
        )


def case_problems(case: TrainingCase) -> list[str]:
    """Every reason the case is invalid, each naming where; empty if valid."""
    problems: list[str] = []
    pathways = load_protocols()
    pathway = pathways.get(case.pathway)
    if pathway is None:
        problems.append(
            f"pathway {case.pathway!r} is not a shipped pathway ({', '.join(sorted(pathways))})"
        )
    else:
        problems += _pathway_problems(case, pathway)
    for end in case.ends:
        if end.continue_with is not None and end.continue_with not in pathways:
            problems.append(f"end {end.id!r}: continues with unknown pathway {end.continue_with!r}")
    problems += _choice_problems(case)
    problems += _expert_path_problems(case)
    problems += [
        p for p in graph_problems(case_as_protocol(case, pathway)) if "unknown reference" not in p
    ]
    problems += source_problems(_sources(case))
    return problems


def validate_case(case: TrainingCase, origin: str) -> TrainingCase:
    """Return the case if valid; otherwise raise one error listing every problem."""
    problems = case_problems(case)
    if problems:
        raise KnowledgeError(f"{origin}: " + "; ".join(problems))
    return case
