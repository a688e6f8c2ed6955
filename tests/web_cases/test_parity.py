"""The command line and the web pages give the same result, error and audit line for the same
action: an export, a bad search, the synthetic-data warning."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from markupsafe import escape

from stentguide.cases.search import count_synthetic, parse_search, synthetic_warning
from stentguide.errors import InputError
from tests.conftest import CliRun
from tests.web_cases.conftest import Live


def _db(live: Live) -> str:
    return live.registry.engine.url.render_as_string(hide_password=False)


def _last_export(live: Live) -> tuple[str, str, str, str, dict[str, object]]:
    entry = live.registry.audit.entries(entity="cases", limit=1)[0]
    return entry.actor, entry.action, entry.entity, entry.entity_id, entry.detail


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_an_export_gives_the_same_file_and_audit_line_from_both_faces(
    live: Live, viewer: httpx.Client, cli: CliRun, tmp_path: Path, fmt: str
) -> None:
    search = {"complication": "stent_loss", "since": "2020-01-01"}
    web = viewer.get(f"/cases/export/{fmt}", params=search)
    assert web.status_code == 200
    web_line = _last_export(live)
    path = tmp_path / f"cases.{fmt}"
    done = cli(
        "cases",
        "export",
        str(path),
        "--db",
        _db(live),
        "--complication",
        "stent_loss",
        "--since",
        "2020-01-01",
        "--actor",
        "vera",
    )
    assert done.returncode == 0, done.stderr
    cli_line = _last_export(live)
    assert cli_line == web_line
    count = live.registry.cases.count(parse_search(search))
    assert web_line == ("vera", "export", "cases", fmt, {"cases": count, "filter": search})
    if fmt == "csv":
        assert path.read_bytes() == web.content
    else:
        assert path.read_text(encoding="utf-8") == web.text


@pytest.mark.parametrize(
    ("search", "options"),
    [
        ({"complication": "stent_los"}, ["--complication", "stent_los"]),
        ({"since": "yesterday", "access": "wrist"}, ["--since", "yesterday", "--access", "wrist"]),
        (
            {"since": "2024-02-01", "until": "2024-01-01"},
            ["--since", "2024-02-01", "--until", "2024-01-01"],
        ),
    ],
)
def test_a_bad_search_is_the_same_error_from_both_faces(
    live: Live,
    viewer: httpx.Client,
    cli: CliRun,
    tmp_path: Path,
    search: dict[str, str],
    options: list[str],
) -> None:
    with pytest.raises(InputError) as caught:
        parse_search(search)
    before = live.registry.audit.entries(limit=1)
    for command in (["cases", "list"], ["cases", "export", str(tmp_path / "x.csv")]):
        done = cli(*command, "--db", _db(live), *options)
        assert done.returncode == 2
        assert done.stderr == f"error: {caught.value}\n"
    assert not (tmp_path / "x.csv").exists()
    for path in ("/cases", "/cases/export/csv"):
        page = viewer.get(path, params=search)
        assert page.status_code == 422
        for field, why in caught.value.problems.items():
            assert str(escape(why)) in page.text, (path, field)
    listing = viewer.get("/cases", params=search).text
    for field in caught.value.problems:
        assert f'id="err-{field}"' in listing
    assert live.registry.audit.entries(limit=1) == before, "a refused export is not audited"


def test_the_synthetic_warning_is_the_same_sentence_on_both_faces(
    live: Live, viewer: httpx.Client, cli: CliRun
) -> None:
    query = parse_search({})
    warning = synthetic_warning(
        count_synthetic(live.registry, query), live.registry.cases.count(query)
    )
    assert warning
    listed = cli("cases", "list", "--db", _db(live), "--limit", "1")
    assert listed.returncode == 0
    assert " ".join(listed.stderr.split()) == f"warning: {warning}"
    stats = cli("cases", "stats", "--db", _db(live), "--format", "json")
    assert " ".join(stats.stderr.split()) == f"warning: {warning}"
    assert warning in viewer.get("/cases").text
    assert warning in viewer.get("/quality").text
    real = cli("cases", "list", "--db", _db(live), "--outcome", "deployed")
    assert real.stderr == ""
