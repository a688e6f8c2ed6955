"""``cases stats`` in a new process reads the counts the database keeps, or counts.

The kept counts are read through the database's own driver, without SQLAlchemy;
they must be exactly the counts a fresh count gives, only while nothing has
changed, and the command must fall back to counting whenever it cannot be sure.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from stentguide.cases import CaseFilter, Registry
from stentguide.cases.counts import registry_counts
from stentguide.cases.counts_kept import read_kept_counts
from stentguide.cases.demo import demo_cases
from tests.cases.conftest import make_case

SEARCH = CaseFilter(operator="operator-1", access="radial")


def test_kept_counts_are_read_back_equal_until_anything_changes(db_url: str) -> None:
    with Registry.open(db_url) as registry:
        registry.cases.add_many(demo_cases(400, seed=7), actor="a")
        assert read_kept_counts(db_url, SEARCH) is None  # nothing kept yet
        counted = registry_counts(registry, SEARCH)
        assert read_kept_counts(db_url, SEARCH) == counted
        assert read_kept_counts(db_url) is None  # another search: not kept
        registry.cases.add(make_case(operator="operator-1"), actor="a")
        assert read_kept_counts(db_url, SEARCH) is None
        recounted = registry_counts(registry, SEARCH)
        assert recounted.total == counted.total + 1
        assert read_kept_counts(db_url, SEARCH) == recounted


def test_a_schema_not_at_the_newest_revision_is_not_read(db_url: str) -> None:
    """An older database is left to the usual path, which migrates it."""
    with Registry.open(db_url) as registry:
        registry.cases.add_many(demo_cases(50, seed=1), actor="a")
        registry_counts(registry)
        with registry.engine.begin() as conn:
            head = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar_one()
            conn.execute(sa.text("UPDATE alembic_version SET version_num = '0006_case_cell_by_id'"))
        try:
            assert read_kept_counts(db_url) is None
        finally:
            with registry.engine.begin() as conn:
                conn.execute(sa.text("UPDATE alembic_version SET version_num = :h"), {"h": head})
        assert read_kept_counts(db_url) is not None


def test_urls_it_does_not_read_itself_are_left_to_the_registry(tmp_path: Path) -> None:
    missing = tmp_path / "missing.sqlite"
    assert read_kept_counts(f"sqlite:///{missing}") is None
    assert not missing.exists()  # looking did not create a database
    assert read_kept_counts(f"sqlite:///file:{missing}?mode=ro&uri=true") is None
    assert read_kept_counts("sqlite://") is None
    assert read_kept_counts("mysql://localhost/x") is None
    empty = tmp_path / "empty.sqlite"
    empty.touch()
    assert read_kept_counts(f"sqlite:///{empty}") is None  # not a registry
    assert read_kept_counts("postgresql+psycopg://nobody@127.0.0.1:1/none") is None


_PROBE = """
import sys
from stentguide.cli import main
try:
    main()
finally:
    print("loaded: " + ",".join(sorted(m for m in ("sqlalchemy", "alembic") if m in sys.modules)),
          file=sys.stderr)
"""


def _stats(url: str, *args: str) -> tuple[list[dict[str, Any]], str]:
    """The rates as JSON, and which database libraries the process loaded."""
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, "cases", "stats", "--db", url, "--format", "json", *args],
        capture_output=True,
        text=True,
        env={**os.environ, "NO_COLOR": "1"},
        timeout=120,
        check=True,
    )
    loaded = done.stderr.strip().splitlines()[-1].removeprefix("loaded:").strip()
    return json.loads(done.stdout), loaded


def test_the_command_answers_alike_counting_and_from_kept_counts(db_url: str) -> None:
    with Registry.open(db_url) as registry:
        registry.cases.add_many(demo_cases(300, seed=4), actor="a")
    counted, loaded = _stats(db_url, "--by", "year", "--operator", "operator-2")
    assert loaded == "sqlalchemy"  # counted through the registry, and kept
    kept, loaded = _stats(db_url, "--by", "year", "--operator", "operator-2")
    assert loaded == ""  # read straight from the database
    assert kept == counted
    by_access, _ = _stats(db_url, "--by", "access", "--operator", "operator-2")
    assert sum(r["total"] for r in by_access if r["metric"] == "stent_loss") == sum(
        r["total"] for r in counted if r["metric"] == "stent_loss"
    )
