"""The bulk add: chunk by chunk, every case validated, all of it saved or none (both databases)."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from typing import Any

import pytest

from stentguide.cases import Registry
from stentguide.cases.demo import demo_cases, demo_stream
from stentguide.cases.intake import CHUNK
from stentguide.cases.model import CaseIn
from stentguide.errors import InputError
from tests.cases.conftest import make_case

MORE_THAN_A_CHUNK = CHUNK + 7
"""Enough cases that the last one is in a second chunk, written after the first."""


def _many(count: int = MORE_THAN_A_CHUNK) -> list[dict[str, Any]]:
    return demo_cases(count, seed=11)


def _nothing_saved(registry: Registry) -> None:
    assert registry.cases.count() == 0
    assert registry.audit.entries(entity="case") == []


def test_a_bad_row_in_the_last_chunk_saves_nothing_and_is_named(registry: Registry) -> None:
    cases = _many()
    cases[2]["access"] = "carotid"
    cases[-1]["lesions"] = []
    cases[-1]["complications"] = [{"kind": "stroke", "technique": "snare", "success": True}]
    with pytest.raises(InputError) as caught:
        registry.cases.add_many(cases, actor="a")
    assert str(caught.value).startswith("3 problem(s) in the cases given; nothing was saved")
    last = len(cases)
    assert set(caught.value.problems) == {
        "row 3: access",
        f"row {last}: lesions",
        f"row {last}: complications.0",
    }
    assert "radial" in caught.value.problems["row 3: access"]
    assert "at least 1 item" in caught.value.problems[f"row {last}: lesions"]
    assert "stent-loss retrieval only" in caught.value.problems[f"row {last}: complications.0"]
    _nothing_saved(registry)


def test_a_uid_already_stored_found_in_the_last_chunk_saves_nothing(registry: Registry) -> None:
    stored = registry.cases.add(make_case(patient_id="BEFORE"), actor="a")
    cases = _many()
    cases[-1]["uid"] = stored.uid
    with pytest.raises(InputError) as caught:
        registry.cases.add_many(cases, actor="b")
    assert str(caught.value).startswith("case(s) already in the registry; nothing was saved")
    assert caught.value.problems == {f"uid {stored.uid}": "already stored"}
    assert registry.cases.count() == 1  # the first chunk, written before the clash, is gone
    assert [e.actor for e in registry.audit.entries(entity="case")] == ["a"]


def test_a_uid_given_twice_across_chunks_names_both_rows(registry: Registry) -> None:
    cases = _many()
    cases[-1]["uid"] = cases[0]["uid"]
    with pytest.raises(InputError) as caught:
        registry.cases.add_many(cases, actor="a")
    assert caught.value.problems == {f"row {len(cases)}: uid": "repeats row 1"}
    _nothing_saved(registry)


def test_a_refused_add_inside_a_batch_leaves_no_row_and_the_batch_goes_on(
    registry: Registry,
) -> None:
    stored = registry.cases.add(make_case(patient_id="BEFORE"), actor="a")
    cases = _many()
    cases[-1]["uid"] = stored.uid
    with registry.cases.batch(actor="b") as batch:
        batch.add_cases([make_case(patient_id="KEPT-1")])
        with pytest.raises(InputError, match="already in the registry"):
            batch.add_cases(cases)
        batch.add_case(make_case(patient_id="KEPT-2"))
    assert sorted(c.patient_id for c in registry.cases.iter()) == ["BEFORE", "KEPT-1", "KEPT-2"]
    assert len(registry.audit.entries(entity="case")) == 3


def test_a_failure_after_the_adds_rolls_back_every_chunk(registry: Registry) -> None:
    with pytest.raises(RuntimeError), registry.cases.batch(actor="a") as batch:
        assert batch.add_cases(_many()) == MORE_THAN_A_CHUNK
        raise RuntimeError("the caller fails before the batch ends")
    _nothing_saved(registry)


def test_every_case_is_stored_as_validated_in_the_order_given(registry: Registry) -> None:
    cases = _many()
    assert registry.cases.add_many(cases, actor="a") == len(cases)
    stored = list(registry.cases.iter())
    assert [c.uid for c in stored] == [c["uid"] for c in cases]
    fields = set(CaseIn.model_fields)
    assert [c.model_dump(include=fields) for c in stored] == [
        CaseIn.model_validate(c).model_dump() for c in cases
    ]
    assert sum(len(c.complications) for c in stored) > 0  # the complications found their case
    audited = registry.audit.entries(entity="case", limit=len(cases) + 1)
    assert sorted(e.entity_id for e in audited) == sorted(c["uid"] for c in cases)
    assert {(e.actor, e.action, str(e.detail)) for e in audited} == {("a", "create", "{}")}


def test_awkward_text_survives_the_bulk_path(registry: Registry) -> None:
    awkward = 'tab\there, line\nbreak, back\\slash, \\N, "quoted", café, 心, ,;|'
    case = make_case(
        operator="dr \\N o'brien",
        outcome="\\N",
        devices={"guide": awkward[:128], "stent\\role": "DES\t3.0"},
        complications=[{"kind": "other", "note": awkward}],
    )
    stored = registry.cases.add(case, actor="a")
    assert stored.operator == "dr \\N o'brien" and stored.outcome == "\\N"
    assert stored.devices == {"guide": awkward[:128], "stent\\role": "DES\t3.0"}
    assert stored.complications[0].note == awkward


def test_a_stream_is_added_chunk_by_chunk_with_progress(registry: Registry) -> None:
    def stream() -> Iterator[dict[str, Any]]:
        yield from _many()

    heard: list[tuple[int, int | None]] = []
    added = registry.cases.add_many(
        stream(), actor="a", progress=lambda done, total: heard.append((done, total))
    )
    assert added == registry.cases.count() == MORE_THAN_A_CHUNK
    done = [d for d, _ in heard]
    assert done == sorted(done) and heard[-1] == (2 * added, 2 * added)

    heard.clear()
    demo = demo_stream(CHUNK + 1, seed=12)
    assert registry.cases.add_many(demo, actor="a", progress=lambda d, t: heard.append((d, t)))
    assert {t for _, t in heard} == {2 * (CHUNK + 1)}  # a sized stream gives its total
    assert list(demo) == demo_cases(CHUNK + 1, seed=12)


def test_garbage_collection_is_on_again_after_an_add(registry: Registry) -> None:
    assert gc.isenabled()
    registry.cases.add_many(_many(10), actor="a")
    assert gc.isenabled()
    with pytest.raises(InputError):
        registry.cases.add_many([make_case(access="carotid")], actor="a")
    assert gc.isenabled()
