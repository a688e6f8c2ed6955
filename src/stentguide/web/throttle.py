"""Login throttling: too many failed logins for one account or from one address → 429.

Failures are counted per account and per client address over a sliding window
(:attr:`Settings.login_window_seconds`). Once an account has had
:attr:`Settings.login_attempts` failures in the window, or an address four
times as many, further attempts are refused with HTTP 429 and a
``Retry-After`` until the oldest failure leaves the window, whether or not the
password is right, so guessing cannot go on at speed. A successful login
clears the account's count. The counts live in the server process: a
deployment with several worker processes multiplies the allowance by their
number (see ``docs/security.md``). Behind a reverse proxy the address is the
proxy's unless uvicorn is told to trust its ``X-Forwarded-For``.
"""

from __future__ import annotations

import math
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable

__all__ = ["ADDRESS_FACTOR", "LoginThrottle"]

ADDRESS_FACTOR = 4
"""An address may fail this many times as often as one account."""
MAX_KEYS = 100_000
"""Past this many accounts and addresses counted, expired counts are swept."""


class LoginThrottle:
    """Counts failed logins per account and per address (thread-safe, in memory)."""

    def __init__(
        self,
        attempts: int,
        window_seconds: float,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if attempts < 1 or window_seconds <= 0:
            raise ValueError("attempts and window_seconds must be positive")
        self.attempts = attempts
        self.window = window_seconds
        self._clock = clock
        self._failures: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def _keys(self, username: str, address: str) -> list[tuple[str, int]]:
        return [
            (f"user:{username.strip().lower()}", self.attempts),
            (f"addr:{address}", self.attempts * ADDRESS_FACTOR),
        ]

    def _prune(self, key: str, now: float) -> deque[float]:
        times = self._failures[key]
        while times and times[0] <= now - self.window:
            times.popleft()
        if not times:
            del self._failures[key]
            return deque()
        return times

    def retry_after(self, username: str, address: str) -> int:
        """Seconds to wait before this account may be tried from this address (0: go)."""
        now = self._clock()
        wait = 0.0
        with self._lock:
            for key, allowed in self._keys(username, address):
                times = self._prune(key, now)
                if len(times) >= allowed:
                    wait = max(wait, times[len(times) - allowed] + self.window - now)
        return max(1, math.ceil(wait)) if wait > 0 else 0

    def failed(self, username: str, address: str) -> None:
        """Count one failed login."""
        now = self._clock()
        with self._lock:
            if len(self._failures) > MAX_KEYS:
                for key in list(self._failures):
                    self._prune(key, now)
            for key, _allowed in self._keys(username, address):
                self._failures[key].append(now)
                # keep memory bounded: an address cannot make one key grow without end
                times = self._failures[key]
                while len(times) > self.attempts * ADDRESS_FACTOR:
                    times.popleft()

    def succeeded(self, username: str) -> None:
        """Clear the account's failures after a successful login."""
        with self._lock:
            self._failures.pop(f"user:{username.strip().lower()}", None)
