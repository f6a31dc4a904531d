"""A clock for rate limits that moves only when a test says so (no timed assertions)."""

from __future__ import annotations


class ManualClock:
    """Monotonic seconds that pass only through `advance`."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds
