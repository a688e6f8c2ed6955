"""Attempts are stored in the registry database, append-only, and give a trainee's progress."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError

from stentguide.cases import Registry
from stentguide.errors import InputError
from stentguide.training import AttemptStore, debrief, get_case, play_choices
from stentguide.training.store import attempts_table
from tests.conftest import FakeClock
from tests.training.conftest import expert_choices, reckless_choices

CASE = "stent-loss-left-main"


def test_attempts_are_saved_listed_and_summarised(db_url: str, clock: FakeClock) -> None:
    case = get_case(CASE)
    with AttemptStore.open(db_url) as store:
        low = store.save(
            "fellow-1", debrief(play_choices(case, reckless_choices(case), clock=clock))
        )
        high = store.save(
            "fellow-1", debrief(play_choices(case, expert_choices(case), clock=clock))
        )
        store.save("fellow-2", debrief(play_choices(case, expert_choices(case), clock=clock)))
        assert low.total < 40 and high.total == 100
        assert high.case_version == case.version
        assert [c["choice"] for c in high.choices] == expert_choices(case)
        assert all(c["at"] for c in high.choices)
        assert high.score["parts"][0]["name"] == "key messages"
        assert high.elapsed_seconds > 0
        listed = store.list_attempts(trainee_id="fellow-1")
        assert [a.id for a in listed] == [high.id, low.id]
        assert store.get(low.id) == low
        (row,) = store.progress("fellow-1")
        assert (row.case_id, row.attempts, row.best, row.last) == (CASE, 2, 100.0, 100.0)
        assert len(store.list_attempts(case_id=CASE)) == 3


def test_attempts_are_append_only(db_url: str) -> None:
    case = get_case(CASE)
    with AttemptStore.open(db_url) as store:
        saved = store.save("fellow-1", debrief(play_choices(case, expert_choices(case))))
        for statement in (
            sa.update(attempts_table).values(total=0.0),
            sa.delete(attempts_table),
        ):
            with pytest.raises(DBAPIError), store.engine.begin() as conn:
                conn.execute(statement)
        assert store.get(saved.id).total == 100


def test_a_trainee_id_is_required(sqlite_url: str) -> None:
    case = get_case(CASE)
    result = debrief(play_choices(case, expert_choices(case)))
    with AttemptStore.open(sqlite_url) as store:
        for bad in ("", "   ", None, "x" * 65):
            with pytest.raises(InputError) as info:
                store.save(bad, result)
            assert "trainee" in info.value.problems
        with pytest.raises(InputError) as info:
            store.get("missing")
        assert "attempt" in info.value.problems


def test_the_migration_creates_the_table_the_store_uses(db_url: str) -> None:
    with Registry.open(db_url) as registry:
        assert registry.status().up_to_date
        columns = {
            c["name"]: c for c in sa.inspect(registry.engine).get_columns("training_attempts")
        }
        assert set(columns) == {c.name for c in attempts_table.columns}
        for column in attempts_table.columns:
            assert columns[column.name]["nullable"] == column.nullable
