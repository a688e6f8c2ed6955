"""The scoring model: full marks for the expert, low marks for recklessness, bounded always."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stentguide.errors import InputError
from stentguide.training import TrainingCase, get_case, load_cases, score_path
from stentguide.training.scoring import (
    CONTRAST_POINTS,
    KEY_MESSAGE_POINTS,
    ORDER_POINTS,
    TIME_POINTS,
    common_subsequence_length,
)
from tests.training.conftest import CASE_IDS, expert_choices, reckless_choices


def path_of(case: TrainingCase, choices: list[str]) -> list[tuple[str, str]]:
    path = []
    current = case.start
    for choice_id in choices:
        moment = case.moment(current)
        assert moment is not None
        chosen = moment.choice(choice_id)
        assert chosen is not None
        path.append((moment.id, choice_id))
        current = chosen.next
    return path


@pytest.mark.parametrize("case_id", CASE_IDS)
def test_expert_path_scores_full_marks(case_id: str) -> None:
    case = get_case(case_id)
    score = score_path(case, path_of(case, expert_choices(case)))
    assert score.total == score.max_total == 100
    assert all(p.points == p.max_points for p in score.parts)
    assert all(k.status == "kept" for k in score.key_messages)
    assert score.minutes == score.expert_minutes
    assert score.cost_basis == "teaching-estimate"


@pytest.mark.parametrize("case_id", CASE_IDS)
def test_reckless_path_scores_low_and_names_the_broken_messages(case_id: str) -> None:
    case = get_case(case_id)
    choices = reckless_choices(case)
    score = score_path(case, path_of(case, choices))
    assert score.total < 40
    broken = {k.id for k in score.broken}
    expected = {
        key
        for moment_choice in path_of(case, choices)
        for key in case.moment(moment_choice[0]).choice(moment_choice[1]).breaks  # type: ignore[union-attr]
    }
    assert broken == expected and broken
    for k in score.broken:
        assert k.broken_by and k.text


def test_worked_example_partial_loss() -> None:
    case = get_case("partial-loss-calcified-circumflex")
    path = [
        ("secure", "hold-wire-confirm"),
        ("retrieve", "inflate-own-balloon"),
        ("guide-tip", "force-through-misaligned-guide"),
    ]
    score = score_path(case, path)
    parts = {p.name: p.points for p in score.parts}
    assert parts == {"key messages": 30.0, "steps in order": 20.0, "time": 2.8, "contrast": 3.6}
    assert score.total == 56.4
    assert [k.id for k in score.broken] == ["align-guide", "never-force"]
    assert score.broken[0].broken_by == ["guide-tip/force-through-misaligned-guide"]


def test_a_detour_costs_order_points() -> None:
    case = get_case("stent-off-wire-circumflex")
    detour = path_of(case, ["recross", "loop-snare", "bring-down"])
    score = score_path(case, detour)
    order = next(p for p in score.parts if p.name == "steps in order")
    assert order.points == pytest.approx(ORDER_POINTS * 2 / 3, abs=0.05)
    assert [k.id for k in score.broken] == ["no-recrossing"]


def test_a_path_that_does_not_follow_is_refused() -> None:
    case = get_case("partial-loss-calcified-circumflex")
    with pytest.raises(InputError) as info:
        score_path(case, [("retrieve", "inflate-own-balloon")])
    assert "path[0]" in info.value.problems
    with pytest.raises(InputError) as info:
        score_path(case, [("secure", "jump")])
    assert "no choice 'jump'" in info.value.problems["path[0]"]
    with pytest.raises(InputError, match="past an end"):
        score_path(case, [("secure", "pull-hard"), ("stripped", "x")])


@st.composite
def random_walk(draw: st.DrawFn) -> tuple[TrainingCase, list[tuple[str, str]]]:
    case = draw(st.sampled_from(list(load_cases().values())))
    path: list[tuple[str, str]] = []
    moment = case.moment(case.start)
    while moment is not None:
        chosen = draw(st.sampled_from(moment.choices))
        path.append((moment.id, chosen.id))
        moment = case.moment(chosen.next)
        if draw(st.integers(0, 9)) == 0:
            break
    return case, path


@settings(max_examples=200, deadline=None)
@given(random_walk())
def test_score_is_bounded_and_deterministic(
    walk: tuple[TrainingCase, list[tuple[str, str]]],
) -> None:
    case, path = walk
    score = score_path(case, path)
    assert 0 <= score.total <= 100
    bounds = {
        "key messages": KEY_MESSAGE_POINTS,
        "steps in order": ORDER_POINTS,
        "time": TIME_POINTS,
        "contrast": CONTRAST_POINTS,
    }
    for part in score.parts:
        assert 0 <= part.points <= bounds[part.name] == part.max_points
    assert {k.id for k in score.key_messages} == set(case.key_messages)
    assert score == score_path(case, path)
    if score.broken:
        assert score.total < 100


@given(st.lists(st.sampled_from("abcd")), st.lists(st.sampled_from("abcd")))
def test_common_subsequence_properties(a: list[str], b: list[str]) -> None:
    n = common_subsequence_length(a, b)
    assert n == common_subsequence_length(b, a)
    assert 0 <= n <= min(len(a), len(b))
    assert common_subsequence_length(a, a) == len(a)
    assert common_subsequence_length(a, a + b) == len(a)
