from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from stentguide.cases import Registry
from stentguide.cases.tokens import TokenSigner
from stentguide.cases.users import Role, UserStore
from stentguide.errors import InputError

SECRET = "s" * 40


def test_users_roles_and_passwords(registry: Registry) -> None:
    users = UserStore(registry)
    users.create("alice", "correct horse battery", "admin", actor="setup")
    users.create("bob", "another long password", Role.viewer, actor="alice")
    assert users.authenticate("alice", "correct horse battery") is not None
    assert users.authenticate("alice", "wrong password!!") is None
    assert users.authenticate("nobody", "whatever password") is None
    assert users.set_role("bob", "operator", actor="alice").role is Role.operator
    users.set_active("bob", False, actor="alice")
    assert users.authenticate("bob", "another long password") is None
    assert Role.admin.allows(Role.operator) and not Role.viewer.allows(Role.operator)
    with pytest.raises(InputError, match="password"):
        users.create("carol", "short", "viewer", actor="alice")
    with pytest.raises(InputError, match="role"):
        users.create("carol", "long enough password", "root", actor="alice")
    with pytest.raises(InputError, match="username"):
        users.create("alice", "long enough password", "viewer", actor="alice")
    actions = [(e.actor, e.action, e.entity_id) for e in registry.audit.entries(entity="user")]
    assert ("alice", "set_role", "bob") in actions and ("alice", "deactivate", "bob") in actions


def test_session_and_csrf_tokens() -> None:
    signer = TokenSigner(SECRET, session_seconds=3600)
    session = signer.session_token("alice")
    assert signer.session_user(session) == "alice"
    assert signer.session_user(session + "x") is None
    csrf = signer.csrf_token(session)
    assert signer.check_csrf(csrf, session)
    assert not signer.check_csrf(csrf, signer.session_token("mallory") + "z")
    assert not TokenSigner("t" * 40).check_csrf(csrf, session)


def test_session_token_expires() -> None:
    signer = TokenSigner(SECRET, session_seconds=1)
    token = signer.session_token("alice")
    time.sleep(2.1)
    assert signer.session_user(token) is None


def _cli(*args: str, db: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "STENTGUIDE_DB": db, "STENTGUIDE_ACTOR": "tester"}
    return subprocess.run(
        [sys.executable, "-m", "stentguide", *args],
        capture_output=True,
        text=True,
        env=env,
        input=stdin,
        timeout=120,
        check=False,
    )


def test_cli_end_to_end(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'cli.sqlite'}"
    assert _cli("db", "upgrade", db=db).returncode == 0
    done = _cli("cases", "demo", "--count", "300", "--seed", "2", "--format", "json", db=db)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"added": 300, "synthetic": True}
    listed = json.loads(_cli("cases", "list", "--limit", "5", "--format", "json", db=db).stdout)
    assert listed["total"] == 300 and len(listed["cases"]) == 5
    uid = listed["cases"][0]["uid"]
    shown = json.loads(_cli("cases", "show", uid, "--format", "json", db=db).stdout)
    assert shown["audit"][0]["actor"] == "tester"
    stats = _cli("cases", "stats", "--plot", str(tmp_path / "rates.png"), "--format", "json", db=db)
    assert stats.returncode == 0, stats.stderr
    assert any(
        row["metric"] == "stent_loss" and row["total"] == 300 for row in json.loads(stats.stdout)
    )
    assert (tmp_path / "rates.png").read_bytes().startswith(b"\x89PNG")
    assert _cli("cases", "export", str(tmp_path / "out.parquet"), db=db).returncode == 0
    other = f"sqlite:///{tmp_path / 'other.sqlite'}"
    imported = _cli("cases", "import", str(tmp_path / "out.parquet"), "--format", "json", db=other)
    assert json.loads(imported.stdout) == {"imported": 300}
    added = _cli(
        "users",
        "add",
        "alice",
        "--role",
        "admin",
        "--password-stdin",
        db=db,
        stdin="a long enough password\n",
    )
    assert added.returncode == 0, added.stderr


@pytest.mark.parametrize(
    "args",
    [
        ("cases", "show", "0" * 32),
        ("cases", "stats", "--by", "weekday"),
        ("cases", "list", "--since", "yesterday"),
        ("cases", "list", "--complication", "stent-los"),
        ("cases", "import", "missing.csv"),
        ("users", "add", "bob", "--role", "root", "--password-stdin"),
    ],
)
def test_cli_bad_input_exits_2_with_one_line(tmp_path: Path, args: tuple[str, ...]) -> None:
    result = _cli(
        *args, db=f"sqlite:///{tmp_path / 'bad.sqlite'}", stdin="a long enough password\n"
    )
    assert result.returncode == 2
    assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1


def test_cli_refuses_unsupported_database(tmp_path: Path) -> None:
    result = _cli("db", "status", db="mysql://localhost/x")
    assert result.returncode == 2 and "db" in result.stderr


def test_stats_warns_that_demo_data_is_synthetic(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'demo.sqlite'}"
    env = {**os.environ, "STENTGUIDE_DB": db, "STENTGUIDE_ACTOR": "tester"}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "stentguide", *args],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
            check=False,
        )

    assert run("cases", "demo", "--count", "300").returncode == 0
    plot = tmp_path / "rates.svg"
    stats = run("cases", "stats", "--plot", str(plot))
    assert stats.returncode == 0, stats.stderr
    assert "300 of the 300 cases counted are synthetic demonstration data" in stats.stderr
    assert "synthetic demonstration data" in plot.read_text()
