"""Token buckets kept in process memory: how often one key (an address, a session, a
token) may be served, and how long it must wait when it may not.

Each key has a bucket of `burst` tokens, refilled at `per_minute`; a request takes one
token, and a request that finds less than one is refused with the time until it would
find one. Nothing is taken from a refused request, so a client that waits as told gets
in.

The buckets live in this process only. With several processes behind a load balancer
each one enforces its own share: a client spread round-robin over N processes may make
up to N times the configured figures, while one whose requests stay on one process (the
widget's WebSocket does) gets exactly them. A limit shared by every process belongs to
a shared store (Redis, PostgreSQL), which is the scale-out work's business, not this.

Memory stays bounded: a bucket that has filled up again is the same as no bucket and is
forgotten, and beyond `max_keys` the least recently used buckets go first (forgetting
only ever lets a client in sooner).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

__all__ = ["Clock", "RateLimiter"]

Clock = Callable[[], float]


class RateLimiter:
    """Token buckets for one kind of request, keyed by who makes it."""

    def __init__(
        self,
        per_minute: float,
        burst: int,
        *,
        clock: Clock = time.monotonic,
        max_keys: int = 100_000,
    ) -> None:
        if per_minute <= 0 or burst < 1:
            raise ValueError("a rate limit needs per_minute > 0 and burst >= 1")
        self.per_minute = per_minute
        self.burst = burst
        self._per_second = per_minute / 60.0
        self._clock = clock
        self._max_keys = max_keys
        # key -> (tokens left, when counted); ordered by last use, oldest first.
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def take(self, key: str) -> float:
        """Count one request of `key`. Returns 0.0 when it may go ahead; otherwise it is
        refused and the answer is how many seconds until one more would be allowed."""
        with self._lock:
            now = self._clock()
            tokens = self._tokens(self._buckets.pop(key, None), now)
            if tokens >= 1.0:
                tokens -= 1.0
                wait = 0.0
            else:
                wait = (1.0 - tokens) / self._per_second
            self._buckets[key] = (tokens, now)
            self._forget(now)
            return wait

    def tokens_left(self, key: str) -> float:
        """How many requests `key` could make right now (for measurements and tests)."""
        with self._lock:
            return self._tokens(self._buckets.get(key), self._clock())

    def __len__(self) -> int:
        return len(self._buckets)

    def _tokens(self, bucket: tuple[float, float] | None, now: float) -> float:
        if bucket is None:
            return float(self.burst)
        tokens, counted = bucket
        return min(float(self.burst), tokens + max(0.0, now - counted) * self._per_second)

    def _forget(self, now: float) -> None:
        """Drop full buckets from the least recently used end, then the oldest beyond
        `max_keys`."""
        while self._buckets:
            oldest = next(iter(self._buckets))
            if self._tokens(self._buckets[oldest], now) < self.burst:
                break
            del self._buckets[oldest]
        while len(self._buckets) > self._max_keys:
            del self._buckets[next(iter(self._buckets))]
