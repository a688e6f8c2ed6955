"""The login throttle's counting, with a hand-driven clock (no waiting)."""

from __future__ import annotations

from stentguide.web.throttle import ADDRESS_FACTOR, LoginThrottle


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_an_account_is_free_again_when_its_failures_leave_the_window() -> None:
    clock = Clock()
    throttle = LoginThrottle(3, 60, clock=clock)
    for _ in range(3):
        assert throttle.retry_after("vera", "10.0.0.1") == 0
        throttle.failed("vera", "10.0.0.1")
    assert throttle.retry_after("VERA", "10.0.0.2") == 60
    clock.now += 59
    assert throttle.retry_after("vera", "10.0.0.1") == 1
    clock.now += 1
    assert throttle.retry_after("vera", "10.0.0.1") == 0


def test_success_clears_the_account_but_not_the_address() -> None:
    clock = Clock()
    throttle = LoginThrottle(2, 60, clock=clock)
    for i in range(2 * ADDRESS_FACTOR):
        throttle.failed(f"user{i % 2}", "10.0.0.9")
    throttle.succeeded("user0")
    assert throttle.retry_after("user0", "10.0.0.8") == 0
    assert throttle.retry_after("user0", "10.0.0.9") > 0
