"""A polite brake on floods: each person may send a burst of messages, then
about one every two seconds. The first message over the limit gets a notice;
the rest are ignored until the person slows down."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

ALLOW, WARN, DROP = "allow", "warn", "drop"


@dataclass
class _Bucket:
    tokens: float
    updated: float
    warned: bool = False


class FloodLimit:
    """A token bucket per key: ``burst`` messages at once, refilled at ``per_minute``."""

    def __init__(self, burst: int = 20, per_minute: float = 30.0, clock: Callable[[], float] = time.monotonic):
        self.burst = burst
        self.rate = per_minute / 60.0
        self.clock = clock
        self._buckets: dict[int, _Bucket] = {}

    def check(self, key: int) -> str:
        """ALLOW this message, WARN (the first one over the limit) or DROP it."""
        now = self.clock()
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = _Bucket(float(self.burst), now)
        bucket.tokens = min(float(self.burst), bucket.tokens + (now - bucket.updated) * self.rate)
        bucket.updated = now
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            bucket.warned = False
            if len(self._buckets) > 10_000:
                self._forget_full(now)
            return ALLOW
        if bucket.warned:
            return DROP
        bucket.warned = True
        return WARN

    def _forget_full(self, now: float) -> None:
        """Drop the buckets of people who have been quiet long enough to be full again."""
        full_after = self.burst / self.rate
        self._buckets = {k: b for k, b in self._buckets.items() if now - b.updated < full_after}
