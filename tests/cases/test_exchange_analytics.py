from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from stentguide.cases import CaseIn, Registry
from stentguide.cases.analytics import Grouping, compare, registry_rates, wilson_interval
from stentguide.cases.demo import demo_cases
from stentguide.cases.exchange import export_archive, export_table, import_archive, import_table
from stentguide.cases.literature import load_demo_parameters, load_literature
from stentguide.cases.plots import rates_plot
from stentguide.errors import InputError
from tests.cases.conftest import make_case, make_session, unstamped


@pytest.mark.parametrize("suffix", ["csv", "parquet"])
def test_table_round_trip(registry: Registry, tmp_path: Path, suffix: str) -> None:
    registry.cases.add_many(demo_cases(60, seed=3), actor="demo")
    path = tmp_path / f"cases.{suffix}"
    assert export_table(registry, path) == 60
    with Registry.open(f"sqlite:///{tmp_path / 'copy.sqlite'}") as copy:
        assert import_table(copy, path, actor="importer") == 60
        original = {
            c.uid: c.model_dump(include=set(CaseIn.model_fields)) for c in registry.cases.iter()
        }
        copied = {
            c.uid: c.model_dump(include=set(CaseIn.model_fields)) for c in copy.cases.iter()
        }
    assert copied == original


def test_bad_rows_are_reported_by_row_and_field_and_nothing_is_imported(
    registry: Registry, tmp_path: Path
) -> None:
    path = tmp_path / "bad.csv"
    good = make_case()
    rows = [
        "patient_id,procedure_date,operator,access,lesions,devices,outcome,complications",
        f'P1,2024-01-02,dr-a,radial,{json.dumps(json.dumps(good["lesions"]))},"{{}}",,[]',
        'P2,2024-13-01,dr-a,radial,"[{""vessel"": ""LAD""}]","{}",,[]',
        'P3,2024-01-02,,wrist,not json,"{}",,[]',
    ]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        import_table(registry, path, actor="x")
    problems = caught.value.problems
    assert "row 3: lesions" in problems and "row 3: operator" in problems
    assert registry.cases.count() == 0


def test_archive_round_trip_keeps_runs(registry: Registry, tmp_path: Path) -> None:
    case = registry.cases.add(make_case(), actor="a")
    session = make_session(events=3)
    registry.runs.save(session, actor="a", case_uid=case.uid, outcome_id="retrieved")
    path = tmp_path / "archive.json"
    assert export_archive(registry, path) == 1
    with Registry.open(f"sqlite:///{tmp_path / 'copy.sqlite'}") as copy:
        assert import_archive(copy, path, actor="b") == 1
        assert unstamped(copy.runs.load(str(session["session_id"])).to_json()) == session
        assert copy.cases.get(case.uid).runs[0].outcome_id == "retrieved"


@given(
    st.integers(min_value=1, max_value=10_000).flatmap(
        lambda n: st.tuples(st.integers(min_value=0, max_value=n), st.just(n))
    )
)
def test_wilson_interval_brackets_the_proportion(counts: tuple[int, int]) -> None:
    events, total = counts
    low, high = wilson_interval(events, total)
    assert 0 <= low <= events / total <= high <= 1


def test_wilson_interval_matches_the_published_mayo_interval() -> None:
    low, high = wilson_interval(38, 11773)
    assert (round(100 * low, 2), round(100 * high, 2)) == (0.24, 0.44)


def test_wilson_interval_refuses_impossible_counts() -> None:
    with pytest.raises(InputError):
        wilson_interval(5, 3)
    with pytest.raises(InputError):
        wilson_interval(0, 0)


def test_rates_count_the_registry(registry: Registry) -> None:
    registry.cases.add_many(
        [
            make_case(
                complications=[
                    {"kind": "stent_loss", "technique": "small_balloon", "success": True},
                    {"kind": "emergency_surgery"},
                ]
            ),
            make_case(
                procedure_date="2023-05-05",
                complications=[
                    {"kind": "stent_loss", "technique": "snare", "success": False},
                ],
            ),
            make_case(procedure_date="2023-06-05", complications=[{"kind": "perforation"}]),
            make_case(procedure_date="2023-07-05"),
        ],
        actor="a",
    )
    rates = {r.metric: r for r in registry_rates(registry)}
    assert (rates["stent_loss"].events, rates["stent_loss"].total) == (2, 4)
    assert (rates["retrieval_success"].events, rates["retrieval_success"].total) == (1, 2)
    assert (
        rates["retrieval_success.small_balloon"].events,
        rates["retrieval_success.small_balloon"].total,
    ) == (1, 1)
    assert (
        rates["emergency_surgery_after_stent_loss"].events,
        rates["emergency_surgery_after_stent_loss"].total,
    ) == (1, 2)
    by_year = {(r.metric, r.group): r for r in registry_rates(registry, by=Grouping.year)}
    assert (
        by_year[("stent_loss", "2023")].events == 1 and by_year[("stent_loss", "2023")].total == 3
    )
    comparisons = {c.rate.metric: c for c in compare(list(rates.values()))}
    assert comparisons["stent_loss"].figures and not comparisons["death"].figures
    assert rates_plot(list(comparisons.values()), "svg").lstrip().startswith(b"<?xml")
    assert rates_plot(list(comparisons.values()), "png").startswith(b"\x89PNG")


def test_literature_and_demo_data_load_with_known_sources() -> None:
    literature = load_literature()
    assert literature["stent_loss"].figures[0].ci_percent == (0.23, 0.44)
    assert all(figure.sources for metric in literature.values() for figure in metric.figures)
    assert load_demo_parameters().synthetic.synthetic is True


def test_demo_is_synthetic_reproducible_and_close_to_its_rates() -> None:
    first, second = demo_cases(20_000, seed=7), demo_cases(20_000, seed=7)
    assert first == second
    assert all(
        c["outcome"] == "synthetic" and str(c["patient_id"]).startswith("DEMO-") for c in first
    )
    failures = sum(any(x["kind"] == "delivery_failure" for x in c["complications"]) for c in first)
    low, high = wilson_interval(failures, len(first), z=4.0)
    assert low <= load_demo_parameters().clinical.delivery_failure.probability <= high
    with pytest.raises(InputError, match="count"):
        demo_cases(0)
