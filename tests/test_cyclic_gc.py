"""The shared pause of the cyclic garbage collector: nested, concurrent, restoring."""

from __future__ import annotations

import gc
import threading

import pytest

from stentguide.cyclic_gc import CyclicGcPause, cyclic_gc_paused


def test_pause_turns_collection_off_and_back_on() -> None:
    assert gc.isenabled()
    with cyclic_gc_paused:
        assert not gc.isenabled()
    assert gc.isenabled()


def test_nested_pauses_resume_when_the_last_ends() -> None:
    pause = CyclicGcPause()
    with pause:
        with pause:
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()


def test_pause_leaves_collection_off_if_it_was_off() -> None:
    gc.disable()
    try:
        with CyclicGcPause():
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_pause_resumes_after_an_error() -> None:
    with pytest.raises(RuntimeError), cyclic_gc_paused:
        raise RuntimeError("boom")
    assert gc.isenabled()


def test_concurrent_pauses_share_one_switch() -> None:
    inside = threading.Barrier(2)
    leave = threading.Event()
    states: list[bool] = []

    def hold() -> None:
        with cyclic_gc_paused:
            inside.wait()
            leave.wait()

    worker = threading.Thread(target=hold)
    worker.start()
    with cyclic_gc_paused:
        inside.wait()
    states.append(gc.isenabled())  # the other pause still holds
    leave.set()
    worker.join()
    assert states == [False]
    assert gc.isenabled()
