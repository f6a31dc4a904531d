"""Bolt's error handler: an unavailable store answers 503 with Retry-After.

Bolt catches every exception of a middleware or listener and answers a bare 500. When
the store is down, the event was not recorded (the event ledger writes first, see
middleware.py), so Slack must send it again: a 503 with Retry-After and the API's JSON
error says so, and Slack retries failed deliveries. Other errors keep Bolt's 500, logged
with their traceback.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from slack_bolt.response import BoltResponse

log = logging.getLogger(__name__)

__all__ = ["outage_error_handler"]

OUTAGE_REASON = "the service is unavailable; try again shortly"


def outage_error_handler(
    is_outage: Callable[[BaseException], bool], retry_after_seconds: int
) -> Callable[..., Awaitable[BoltResponse | None]]:
    """An `AsyncApp.error` handler answering store outages 503 (see the module doc)."""

    async def handle(error: Exception) -> BoltResponse | None:
        if is_outage(error):
            log.error(
                "slack request not taken: the store is unavailable", extra={"error": str(error)}
            )
            return BoltResponse(
                status=503,
                body={"error": OUTAGE_REASON, "detail": OUTAGE_REASON},
                headers={
                    "Content-Type": "application/json",
                    "Retry-After": str(retry_after_seconds),
                },
            )
        log.error("slack request failed", exc_info=error)
        return None

    return handle
