"""Registry cases exported and imported as FHIR Bundles; the mapping table stays complete."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stentguide.cases import Registry
from stentguide.cases.demo import demo_cases
from stentguide.cases.model import CaseIn, Complication, ComplicationKind
from stentguide.errors import InputError
from stentguide.interop.registry import (
    CASE_SYSTEM,
    REGISTRY_SYSTEM,
    case_from_bundle,
    case_to_bundle,
    export_fhir,
    import_fhir,
    registry_code_system,
    registry_map,
)
from stentguide.protocols import start
from tests.conftest import CliRun, FakeClock
from tests.interop.paths import every_path
from tests.interop.roundtrip import assert_round_trips

CASE_FIELDS = (
    "uid",
    "patient_id",
    "procedure_date",
    "operator",
    "access",
    "lesions",
    "devices",
    "outcome",
    "complications",
)


def _fields(case: Any) -> dict[str, Any]:
    return CaseIn.model_validate(case.model_dump(include=set(CASE_FIELDS))).model_dump(mode="json")


def _registry(tmp_path: Path, name: str) -> Registry:
    return Registry.open(f"sqlite:///{tmp_path / name}")


def test_cases_round_trip_through_fhir(tmp_path: Path, clock: FakeClock) -> None:
    path = tmp_path / "cases.fhir.json"
    with _registry(tmp_path, "a.sqlite") as source:
        source.cases.add_many(demo_cases(40, seed=3), actor="demo")
        case = next(iter(source.cases.iter()))
        protocol_answers = next(iter(every_path(start("partial-stent-loss").protocol)))
        session = start("partial-stent-loss", clock=clock)
        for node, answer in protocol_answers:
            session = session.record(node, answer)
        source.runs.save(session.to_dict(), actor="demo", case_uid=case.uid)
        assert export_fhir(source, path, actor="tester") == 40
        originals = {c.uid: _fields(c) for c in source.cases.iter()}
    document = json.loads(path.read_text(encoding="utf-8"))
    assert_round_trips(document)
    codes = document["entry"][0]["resource"]
    assert codes == registry_code_system()
    known = {c["code"] for c in codes["concept"]}
    pattern = rf'"system": "{re.escape(REGISTRY_SYSTEM)}", "code": "([^"]+)"'
    used = set(re.findall(pattern, json.dumps(document)))
    assert used and used <= known, used - known
    kinds = {
        e["resource"]["resourceType"]
        for b in document["entry"][1:]
        for e in b["resource"]["entry"]
    }
    assert {
        "Patient",
        "Procedure",
        "Observation",
        "Device",
        "Condition",
        "QuestionnaireResponse",
        "Provenance",
    } <= kinds
    with _registry(tmp_path, "b.sqlite") as copy:
        assert import_fhir(copy, path, actor="import") == 40
        assert {c.uid: _fields(c) for c in copy.cases.iter()} == originals


complications = st.lists(
    st.one_of(
        st.builds(
            Complication,
            kind=st.sampled_from(
                [k for k in ComplicationKind if k is not ComplicationKind.stent_loss]
            ),
            note=st.none() | st.text(min_size=1, max_size=40).filter(str.strip),
        ),
        st.builds(
            Complication,
            kind=st.just(ComplicationKind.stent_loss),
            technique=st.none(),
            success=st.none(),
        ),
    ),
    max_size=3,
)


@settings(max_examples=40, suppress_health_check=list(HealthCheck), deadline=None)
@given(extra=complications, outcome=st.none() | st.just("deployed"), cto=st.none() | st.booleans())
def test_any_case_bundle_reads_back_to_the_same_case(
    extra: list[Complication], outcome: str | None, cto: bool | None
) -> None:
    base = CaseIn.model_validate(demo_cases(1, seed=7)[0])
    case = base.model_copy(
        update={
            "complications": [*base.complications, *extra],
            "outcome": outcome,
            "lesions": [base.lesions[0].model_copy(update={"cto": cto}), *base.lesions[1:]],
        }
    )
    bundle = case_to_bundle(case)
    assert_round_trips(bundle)
    read, problems = case_from_bundle(bundle, "case 1")
    assert problems == {}
    assert CaseIn.model_validate(read).model_dump(mode="json") == case.model_dump(mode="json")


def test_access_and_lesion_observations_carry_the_ncdr_question_codes() -> None:
    case = CaseIn.model_validate(demo_cases(1, seed=1)[0])
    bundle = case_to_bundle(
        case.model_copy(
            update={
                "lesions": [case.lesions[0].model_copy(update={"cto": True, "calcified": False})]
            }
        )
    )
    system = registry_map().ncdr_question_system
    codes = json.dumps(bundle)
    for field in ("access", "lesions[].cto", "lesions[].calcified"):
        question = next(f.ncdr_question for f in registry_map().fields if f.field == field)
        assert f'"system": "{system}", "code": "{question}"' in codes


def test_a_bad_bundle_is_refused_naming_case_and_field(tmp_path: Path) -> None:
    case = CaseIn.model_validate(demo_cases(1, seed=2)[0])
    good = case_to_bundle(case)
    bad = json.loads(json.dumps(good))
    for entry in bad["entry"]:
        if entry["resource"]["resourceType"] == "Procedure":
            del entry["resource"]["performer"]
    path = tmp_path / "bad.json"
    path.write_text(
        json.dumps(
            {
                "resourceType": "Bundle",
                "type": "collection",
                "entry": [
                    {"fullUrl": "urn:uuid:1", "resource": good},
                    {"fullUrl": "urn:uuid:2", "resource": bad},
                ],
            }
        )
    )
    with _registry(tmp_path, "c.sqlite") as registry, pytest.raises(InputError) as caught:
        import_fhir(registry, path, actor="x")
    assert any(k.startswith("case 2: operator") for k in caught.value.problems)
    with _registry(tmp_path, "c.sqlite") as registry:
        assert registry.cases.count() == 0
    path.write_text('{"resourceType": "Patient"}')
    with _registry(tmp_path, "c.sqlite") as registry, pytest.raises(InputError):
        import_fhir(registry, path, actor="x")


def test_cli_exports_and_imports_fhir(cli: CliRun, tmp_path: Path) -> None:
    source = tmp_path / "cases.json"
    source.write_text(
        json.dumps({"format": "stentguide.archive/1", "cases": demo_cases(5)}, default=str)
    )
    assert cli("cases", "import", str(source)).returncode == 0
    out = tmp_path / "cases.fhir"
    result = cli("cases", "export", str(out), "--as", "fhir", "--format", "json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["exported"] == 5
    document = json.loads(out.read_text())
    assert {b["resource"]["identifier"]["system"] for b in document["entry"][1:]} == {CASE_SYSTEM}
    other = f"sqlite:///{tmp_path / 'other.sqlite'}"
    result = cli("cases", "import", str(out), "--as", "fhir", "--db", other)
    assert result.returncode == 0, result.stderr
    assert "imported 5 case(s)" in result.stdout
    again = tmp_path / "again.json"
    assert cli("cases", "export", str(again), "--format", "fhir").returncode == 0
    assert json.loads(again.read_text())["entry"][0]["resource"]["resourceType"] == "CodeSystem"
    third = f"sqlite:///{tmp_path / 'third.sqlite'}"
    result = cli("cases", "import", str(again), "--format", "fhir", "--db", third)
    assert result.returncode == 0, result.stderr


def test_the_mapping_table_covers_every_field_and_the_docs_show_it() -> None:
    fields = {f.field for f in registry_map().fields}
    for name in CASE_FIELDS:
        assert any(
            f == name or f.startswith(f"{name}[]") or f.startswith(f"{name}[].") for f in fields
        ), name
    for kind in ComplicationKind:
        assert f"complications[].kind = {kind.value}" in fields
    for name in ("technique", "success", "note"):
        assert f"complications[].{name}" in fields
    docs = (Path(__file__).parents[2] / "docs" / "interop.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| `([^`]+)` \|", docs, re.M)
    assert set(rows) >= fields
    for entry in registry_map().fields:
        if entry.creds:
            assert entry.creds in docs, entry.creds
