"""Playing a case: choices, consequences, timestamps, resume, the debrief."""

from __future__ import annotations

from datetime import timedelta

import pytest

from stentguide.errors import InputError
from stentguide.training import End, Play, begin, debrief, get_case, play_choices
from tests.conftest import FakeClock
from tests.training.conftest import CASE_IDS, expert_choices, reckless_choices

CASE = "partial-loss-calcified-circumflex"


@pytest.mark.parametrize("case_id", CASE_IDS)
def test_every_case_plays_to_an_end_both_ways(case_id: str) -> None:
    case = get_case(case_id)
    for choices in (expert_choices(case), reckless_choices(case)):
        play = play_choices(case, choices)
        assert play.finished and isinstance(play.current, End)
        assert [c.choice.id for c in play.choices] == choices


def test_choices_are_timestamped_and_timed(clock: FakeClock) -> None:
    play = play_choices(CASE, ["hold-wire-confirm", "inflate-own-balloon"], clock=clock)
    times = [c.at for c in play.choices]
    assert times == sorted(times) and len(set(times)) == 2
    assert play.elapsed_seconds > 0
    assert play.current.id == "guide-tip" and not play.finished


def test_a_choice_shows_its_consequence() -> None:
    play = begin(CASE).choose("pull-hard")
    made = play.choices[-1].choice
    assert "embolises" in made.consequence
    assert play.end is not None and play.end.continue_with == "stent-loss-no-wire"


def test_bad_choices_name_the_field_and_the_options() -> None:
    play = begin(CASE)
    with pytest.raises(InputError) as info:
        play.choose("pull-harder")
    assert "pull-hard" in info.value.problems["choice"]
    ended = play.choose("pull-hard")
    with pytest.raises(InputError, match="ended"):
        ended.choose("hold-wire-confirm")
    with pytest.raises(InputError) as info:
        play_choices(CASE, ["hold-wire-confirm", "nope"])
    assert "choices[1]" in info.value.problems
    with pytest.raises(InputError) as info:
        play_choices(CASE, [{"moment": "retrieve", "choice": "inflate-own-balloon"}])
    assert "choices[0].moment" in info.value.problems
    with pytest.raises(InputError):
        play_choices(CASE, [42])


def test_scripts_accept_objects_naming_the_moment() -> None:
    play = play_choices(CASE, [{"moment": "secure", "choice": "pull-hard"}])
    assert play.finished


def test_play_resumes_from_its_record(clock: FakeClock) -> None:
    play = play_choices(CASE, ["hold-wire-confirm"], clock=clock)
    again = Play.from_dict(play.to_dict(), clock=clock)
    assert again.path == play.path and again.choices[0].at == play.choices[0].at
    assert again.choose("inflate-own-balloon").current.id == "guide-tip"


def test_damaged_records_are_refused() -> None:
    record = play_choices(CASE, ["hold-wire-confirm"]).to_dict()
    with pytest.raises(InputError, match="not a training play"):
        Play.from_dict({**record, "format": "x"})
    with pytest.raises(InputError) as info:
        Play.from_dict({**record, "case_version": "0.0.1"})
    assert "case_version" in info.value.problems
    with pytest.raises(InputError) as info:
        Play.from_dict({k: v for k, v in record.items() if k != "session"})
    assert info.value.problems == {"session": "missing"}


def test_debrief_puts_both_paths_side_by_side(clock: FakeClock) -> None:
    play = play_choices(CASE, ["hold-wire-confirm", "inflate-own-balloon", "en-bloc"], clock=clock)
    result = debrief(play)
    assert result.end_id == "removed-en-bloc" and result.outcome == "removed-en-bloc"
    assert [s.choice for s in result.expert_path] == expert_choices(get_case(CASE))
    assert [s.verdict for s in result.trainee_path] == ["expert", "expert", "acceptable"]
    assert result.trainee_path[-1].teaching_point
    assert result.elapsed_seconds == (result.finished_at - result.started_at).total_seconds()
    assert result.elapsed_seconds >= timedelta(seconds=7).total_seconds()
    assert {r.key for r in result.reading} == set(get_case(CASE).sources)
    assert all(r.citation for r in result.reading)


def test_debrief_of_an_unfinished_play_is_refused() -> None:
    with pytest.raises(InputError) as info:
        debrief(begin(CASE))
    assert "secure" in info.value.problems["choice"]
