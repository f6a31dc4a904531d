"""The answer to a request over a rate limit, the same wherever it is counted: 429 with
`Retry-After` in whole seconds and a reason saying what was counted.

Shared by the channel routes (the widget) and `bot`'s own API; the counting itself is
`bot`'s (bot/api/rate_limits.py), reached through a Protocol such as `WebChatLimits`.
"""

from __future__ import annotations

import math

from fastapi import HTTPException

__all__ = ["retry_after_seconds", "too_many"]


def retry_after_seconds(wait: float) -> int:
    """`Retry-After` is whole seconds; rounding up means the client never comes too early."""
    return max(1, math.ceil(wait))


def too_many(what: str, wait: float) -> HTTPException:
    """The 429 for a refused request: `what` says what was counted (plural)."""
    seconds = retry_after_seconds(wait)
    return HTTPException(
        429, f"too many {what}: try again in {seconds} s", {"Retry-After": str(seconds)}
    )
