"""Rate limits: a token bucket per account and operation (off unless a rate is set)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class RateLimiter:
    """Buckets per (account, operation), in this process ([decided] W-10)."""

    def __init__(self, rate: float, burst: int, *, now: Callable[[], float] = time.monotonic) -> None:
        self.rate = rate
        self.burst = burst
        self.now = now
        self._buckets: dict[tuple[str, str], tuple[float, float]] = {}
        self._lock = threading.Lock()

    def allow(self, account: str, operation: str) -> bool:
        """Take one token from the caller's bucket for this operation; False when it is empty."""
        key = (account, operation)
        now = self.now()
        with self._lock:
            tokens, stamp = self._buckets.get(key, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - stamp) * self.rate)
            if tokens < 1.0:
                self._buckets[key] = (tokens, now)
                return False
            self._buckets[key] = (tokens - 1.0, now)
            return True
