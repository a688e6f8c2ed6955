"""The shipped case library loads, covers every pathway, and bad case files are refused."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from stentguide.errors import KnowledgeError, UnknownNameError
from stentguide.knowledge import knowledge_path
from stentguide.protocols import get_protocol, load_protocols
from stentguide.training import (
    COST_BASIS,
    Verdict,
    case_problems,
    get_case,
    load_case_file,
    load_cases,
    parse_case,
)
from tests.training.conftest import CASE_IDS

FIRST = "01-partial-loss-calcified-circumflex.yaml"


def raw_case(name: str = FIRST) -> dict[str, Any]:
    data = yaml.safe_load(knowledge_path("training", name).read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def moment(raw: dict[str, Any], moment_id: str) -> dict[str, Any]:
    return next(m for m in raw["moments"] if m["id"] == moment_id)


def choice(raw: dict[str, Any], moment_id: str, choice_id: str) -> dict[str, Any]:
    return next(c for c in moment(raw, moment_id)["choices"] if c["id"] == choice_id)


def test_twelve_cases_cover_every_pathway_twice() -> None:
    cases = load_cases()
    assert len(cases) >= 12
    assert {c.pathway for c in cases.values()} == set(load_protocols())
    for pathway in load_protocols():
        assert sum(c.pathway == pathway for c in cases.values()) >= 2, pathway


def test_failure_to_deliver_has_a_calcified_occlusion_and_a_tortuosity_case() -> None:
    undeliverable = [c for c in load_cases().values() if c.pathway == "stent-undeliverable"]
    anatomy = " ".join(c.setting.anatomy.lower() for c in undeliverable)
    assert "chronic total occlusion" in anatomy and "calcified" in anatomy
    assert "tortuous" in anatomy


def test_the_issue_case_is_in_the_library() -> None:
    case = get_case("partial-loss-calcified-circumflex")
    assert case.title == "Partial stent loss in a calcified, angulated circumflex"
    labels = " ".join(c.label.lower() for m in case.moments for c in m.choices)
    assert "pull" in labels and "wire" in labels and "force" in labels


@pytest.mark.parametrize("case_id", CASE_IDS)
def test_every_case_is_sourced_and_teaches_its_pathway(case_id: str) -> None:
    case = get_case(case_id)
    pathway = get_protocol(case.pathway)
    assert case.version.count(".") == 2
    assert case.cost_basis == COST_BASIS
    assert set(case.key_messages) <= set(pathway.key_messages)
    steps = {n.id for n in pathway.nodes}
    for m in case.moments:
        assert m.sources
        for c in m.choices:
            assert c.sources and c.consequence
            assert c.step is None or c.step in steps
            if c.verdict is Verdict.wrong:
                assert c.teaching_point
    assert all(e.sources for e in case.ends)
    assert case.teaching_points and case.sources


@pytest.mark.parametrize("case_id", CASE_IDS)
def test_every_case_has_a_wrong_choice_that_breaks_a_key_message(case_id: str) -> None:
    case = get_case(case_id)
    assert any(c.verdict is Verdict.wrong and c.breaks for m in case.moments for c in m.choices)


def test_a_shipped_file_validates_as_an_authors_file() -> None:
    case = load_case_file(knowledge_path("training", FIRST))
    assert case == get_case(case.id)


def test_unknown_case_suggests_close_names() -> None:
    with pytest.raises(UnknownNameError) as info:
        get_case("partial-loss-calcified-circumflx")
    assert "partial-loss-calcified-circumflex" in info.value.suggestions


def _unreachable(raw: dict[str, Any]) -> None:
    extra = copy.deepcopy(moment(raw, "guide-tip"))
    extra["id"] = "orphan"
    raw["moments"].append(extra)


def _cycle(raw: dict[str, Any]) -> None:
    choice(raw, "guide-tip", "en-bloc")["next"] = "secure"


def _dead_end(raw: dict[str, Any]) -> None:
    choice(raw, "guide-tip", "en-bloc")["next"] = "nowhere"


def _no_teaching_point(raw: dict[str, Any]) -> None:
    del choice(raw, "secure", "pull-hard")["teaching_point"]


def _no_consequence(raw: dict[str, Any]) -> None:
    del choice(raw, "secure", "pull-hard")["consequence"]


def _unsourced_choice(raw: dict[str, Any]) -> None:
    choice(raw, "secure", "pull-hard")["sources"] = []


def _unknown_reference(raw: dict[str, Any]) -> None:
    choice(raw, "secure", "pull-hard")["sources"] = ["NO-SUCH-REF"]


def _two_experts(raw: dict[str, Any]) -> None:
    choice(raw, "secure", "pull-hard")["verdict"] = "expert"


def _foreign_key_message(raw: dict[str, Any]) -> None:
    raw["key_messages"].append("no-recrossing")


def _untracked_break(raw: dict[str, Any]) -> None:
    choice(raw, "secure", "pull-hard")["breaks"] = ["bring-down"]


def _unknown_step(raw: dict[str, Any]) -> None:
    choice(raw, "retrieve", "inflate-own-balloon")["step"] = "snare"


def _unknown_pathway(raw: dict[str, Any]) -> None:
    raw["pathway"] = "partial-stent-los"


def _costs_as_data(raw: dict[str, Any]) -> None:
    raw["cost_basis"] = "published"


def _expert_misses_a_message(raw: dict[str, Any]) -> None:
    choice(raw, "guide-tip", "align-then-withdraw")["keeps"] = ["never-force"]


def _expert_breaks(raw: dict[str, Any]) -> None:
    choice(raw, "guide-tip", "align-then-withdraw")["breaks"] = ["anticoagulation"]


BROKEN = {
    "unreachable": (_unreachable, "'orphan': not reachable from the start"),
    "cycle": (_cycle, "cycle"),
    "dead end": (_dead_end, "leads to unknown node 'nowhere'"),
    "no teaching point": (_no_teaching_point, "a wrong choice needs a teaching_point"),
    "no consequence": (_no_consequence, "choice 'pull-hard' consequence: Field required"),
    "unsourced": (_unsourced_choice, "choice 'pull-hard' sources"),
    "unknown reference": (_unknown_reference, "unknown reference(s) NO-SUCH-REF"),
    "two experts": (_two_experts, "exactly one choice must be `expert`"),
    "foreign key message": (_foreign_key_message, "'no-recrossing' is not one of pathway"),
    "untracked break": (_untracked_break, "'bring-down' is not tracked by the case"),
    "unknown step": (_unknown_step, "step 'snare' is not a node of pathway"),
    "unknown pathway": (_unknown_pathway, "pathway 'partial-stent-los' is not a shipped pathway"),
    "costs as data": (_costs_as_data, "cost_basis"),
    "expert misses a message": (_expert_misses_a_message, "does not keep align-guide"),
    "expert breaks": (_expert_breaks, "the expert choice breaks anticoagulation"),
}


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_invalid_case_is_refused_with_the_reason(name: str) -> None:
    mutate, expected = BROKEN[name]
    raw = raw_case()
    mutate(raw)
    with pytest.raises(KnowledgeError) as info:
        parse_case(raw, "broken.yaml")
    message = str(info.value)
    assert message.startswith("broken.yaml: ")
    assert expected in message


def test_every_problem_is_listed_at_once() -> None:
    raw = raw_case()
    _no_teaching_point(raw)
    _unknown_step(raw)
    with pytest.raises(KnowledgeError) as info:
        parse_case(raw, "broken.yaml")
    assert "teaching_point" in str(info.value) and "step 'snare'" in str(info.value)


def test_valid_case_has_no_problems() -> None:
    assert case_problems(get_case("stent-loss-left-main")) == []


def test_unreadable_and_malformed_files(tmp_path: Path) -> None:
    with pytest.raises(KnowledgeError, match="cannot read"):
        load_case_file(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: [unclosed\n", encoding="utf-8")
    with pytest.raises(KnowledgeError, match="not valid YAML"):
        load_case_file(bad)
