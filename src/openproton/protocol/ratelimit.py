"""Rate limits: a token bucket per account and operation (off unless a rate is set)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

# Past this many buckets the refilled ones are forgotten (each costs about 200 bytes).
MAX_BUCKETS = 10_000


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
            if len(self._buckets) > MAX_BUCKETS:
                self._forget_full(now)
            return True

    def _forget_full(self, now: float) -> None:
        """Drop the buckets that have refilled: a full bucket and no bucket allow the same. Callers are as many
        as distinct access keys and operations, which a client chooses, so the map must not grow with them."""
        full = float(self.burst)
        self._buckets = {
            key: (tokens, stamp)
            for key, (tokens, stamp) in self._buckets.items()
            if tokens + (now - stamp) * self.rate < full
        }
