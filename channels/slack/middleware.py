"""Cross-cutting Bolt middleware, one concern each. They run after Bolt's own (signature
check, self-event filter), so a forged request reaches none of them."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.response import BoltResponse

from channels.slack.ports import SlackEventLedger

log = logging.getLogger(__name__)

Next = Callable[[], Awaitable[None]]


def ignore_bots() -> Callable[..., Awaitable[BoltResponse | None]]:
    """Messages from bots (other apps, or this one by another route) get no handling."""

    async def middleware(body: dict[str, Any], next: Next) -> BoltResponse | None:
        event = body.get("event") or {}
        if body.get("type") == "event_callback" and (
            event.get("bot_id") or event.get("subtype") == "bot_message"
        ):
            return BoltResponse(status=200, body="")
        await next()
        return None

    return middleware


def take_each_event_once(ledger: SlackEventLedger) -> Callable[..., Awaitable[BoltResponse | None]]:
    """Record each Events API delivery by `event_id` before it is acknowledged; a retry
    (`X-Slack-Retry-Num`) of one already recorded is acknowledged and goes no further."""

    async def middleware(body: dict[str, Any], next: Next) -> BoltResponse | None:
        event_id = body.get("event_id")
        if body.get("type") != "event_callback" or not event_id:
            await next()
            return None
        event_type = str((body.get("event") or {}).get("type", ""))
        if not await ledger.take(str(event_id), event_type, body):
            log.info("slack event delivered again; already taken", extra={"event_id": event_id})
            return BoltResponse(status=200, body="")
        await next()
        return None

    return middleware
