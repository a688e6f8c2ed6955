from __future__ import annotations

import copy
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from stentguide.cases import CaseFilter, Registry
from stentguide.cases.migrate import schema_status
from stentguide.errors import InputError, StoreError
from tests.cases.conftest import make_case, make_session, unstamped


def test_case_round_trip_and_listing(registry: Registry) -> None:
    stored = registry.cases.add(
        make_case(complications=[{"kind": "stent_loss", "technique": "snare", "success": True}]),
        actor="nurse-1",
    )
    again = registry.cases.get(stored.uid)
    assert again == stored
    assert again.complications[0].technique is not None
    assert again.created_by == "nurse-1" and again.version == 1
    registry.cases.add(make_case(patient_id="P-0002", operator="dr-b"), actor="nurse-1")
    assert registry.cases.count() == 2
    assert [c.patient_id for c in registry.cases.find(CaseFilter(operator="dr-b"))] == ["P-0002"]
    assert registry.cases.count(CaseFilter(complication="stent_loss")) == 1


def test_missing_and_impossible_fields_are_named(registry: Registry) -> None:
    bad = make_case(procedure_date="2024-02-30")
    del bad["operator"]
    with pytest.raises(InputError) as caught:
        registry.cases.add_many([make_case(), bad], actor="x")
    assert set(caught.value.problems) == {"row 2: procedure_date", "row 2: operator"}
    assert registry.cases.count() == 0


def test_patient_name_is_not_a_pseudonym(registry: Registry) -> None:
    with pytest.raises(InputError, match="patient_id"):
        registry.cases.add(make_case(patient_id="John Smith"), actor="x")


def test_update_is_audited_with_old_and_new_values(registry: Registry) -> None:
    stored = registry.cases.add(make_case(), actor="a")
    updated = registry.cases.update(stored.uid, {"operator": "dr-z"}, actor="b")
    assert updated.operator == "dr-z" and updated.version == 2 and updated.updated_by == "b"
    entries = registry.audit.entries(entity="case", entity_id=stored.uid)
    assert [(e.actor, e.action) for e in entries] == [("b", "update"), ("a", "create")]
    assert entries[0].detail["changed"] == {"operator": ["dr-a", "dr-z"]}
    with pytest.raises(StoreError, match="changed meanwhile"):
        registry.cases.update(stored.uid, {"operator": "dr-y"}, actor="c", expected_version=1)


def test_run_is_stored_appended_and_reloaded(registry: Registry) -> None:
    case = registry.cases.add(make_case(), actor="a")
    session = make_session(events=2)
    first = registry.runs.save(session, actor="a", case_uid=case.uid)
    assert first.events == 2 and first.case_uid == case.uid
    grown = make_session(events=4, session_id=str(session["session_id"]))
    second = registry.runs.save(
        grown, actor="a", outcome_id="retrieved", outcome_category="retrieval"
    )
    assert second.events == 4 and second.outcome_id == "retrieved"
    assert unstamped(registry.runs.load(str(session["session_id"])).to_json()) == grown
    assert [r.run_id for r in registry.cases.get(case.uid).runs] == [session["session_id"]]


def test_run_history_cannot_be_rewritten_or_shortened(registry: Registry) -> None:
    session = make_session(events=3)
    registry.runs.save(session, actor="a")
    rewritten = copy.deepcopy(session)
    rewritten["events"][1]["data"] = {"answer": "no", "label": "No"}  # type: ignore[index]
    with pytest.raises(StoreError, match="event 1 differs"):
        registry.runs.save(rewritten, actor="a")
    with pytest.raises(StoreError, match="append-only"):
        registry.runs.save(make_session(events=2, session_id=str(session["session_id"])), actor="a")
    assert unstamped(registry.runs.load(str(session["session_id"])).to_json()) == session


def test_malformed_session_is_refused_with_fields(registry: Registry) -> None:
    session = make_session(events=2)
    session["events"][1]["seq"] = 5  # type: ignore[index]
    session["events"][0]["at"] = "2024-03-01T10:00:00"  # type: ignore[index]
    with pytest.raises(InputError) as caught:
        registry.runs.save(session, actor="a")
    assert "events" in caught.value.problems or any("events" in k for k in caught.value.problems)


@pytest.mark.parametrize("statement", ["UPDATE {t} SET {c} = {v}", "DELETE FROM {t}"])
@pytest.mark.parametrize(
    ("table", "column", "value"), [("run_events", "type", "'x'"), ("audit_log", "actor", "'x'")]
)
def test_database_refuses_update_and_delete_of_history(
    registry: Registry, statement: str, table: str, column: str, value: str
) -> None:
    registry.runs.save(make_session(events=2), actor="a")
    sql = statement.format(t=table, c=column, v=value)
    with pytest.raises(sa.exc.DBAPIError, match="append-only"), registry.engine.begin() as conn:
        conn.exec_driver_sql(sql)
    with registry.engine.connect() as conn:
        assert conn.exec_driver_sql(f"SELECT count(*) FROM {table}").scalar_one() >= 1


def test_newer_database_is_refused(db_url: str) -> None:
    Registry.open(db_url).close()
    with Registry.open(db_url) as registry, registry.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = '9999_future'")
    with pytest.raises(StoreError, match="newer than this version"):
        Registry.open(db_url)


def test_migration_is_idempotent_and_current(registry: Registry) -> None:
    status = schema_status(registry.engine)
    assert status.up_to_date
    Registry.open(
        registry.url
        if registry.dialect == "sqlite"
        else str(registry.engine.url.render_as_string(hide_password=False))
    ).close()
    assert registry.status().current == status.head


def test_migrated_tables_match_the_schema_module(registry: Registry) -> None:
    from stentguide.cases.schema import metadata

    inspector = sa.inspect(registry.engine)
    for table in metadata.sorted_tables:
        columns = {c["name"] for c in inspector.get_columns(table.name)}
        assert columns == {c.name for c in table.columns}, table.name


def test_bulk_ids_found_below_a_hand_stored_id(registry: Registry) -> None:
    """Cases added after a row stored with a high id by hand keep their complications."""
    first = registry.cases.add(make_case(), actor="a")
    with registry.engine.begin() as conn:
        conn.execute(sa.text("UPDATE cases SET id = 900000 WHERE uid = :u"), {"u": first.uid})
    loss = {"kind": "stent_loss", "technique": "snare", "success": True}
    registry.cases.add_many(
        [make_case(patient_id=f"P-{n}", complications=[loss]) for n in range(3)], actor="a"
    )
    found = registry.cases.find(CaseFilter(complication="stent_loss"))
    assert sorted(c.patient_id for c in found) == ["P-0", "P-1", "P-2"]
    assert all(c.complications[0].technique is not None for c in found)


def test_the_shipped_head_is_alembics_and_each_script_is_named_after_its_revision() -> None:
    """Opening a database at the newest schema skips Alembic by the scripts' names alone."""
    from alembic.script import ScriptDirectory

    from stentguide.cases.migrate import _config, shipped_head

    script = ScriptDirectory.from_config(_config())
    assert shipped_head() == script.get_current_head()
    for revision in script.walk_revisions():
        assert revision.path is not None
        assert Path(revision.path).stem == revision.revision


def test_stats_on_a_registry_at_the_newest_schema_imports_no_alembic(db_url: str) -> None:
    Registry.open(db_url).close()  # migrated to the newest schema
    code = (
        "import sys; from stentguide.cli import main\n"
        "try:\n"
        f"    main(['cases', 'stats', '--db', {db_url!r}, '--format', 'json'])\n"
        "except SystemExit as exit:\n"
        "    assert exit.code == 0, exit.code\n"
        "print(sorted(m for m in ('alembic', 'numpy', 'polars') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "[]"
