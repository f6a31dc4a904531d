"""Cross-cutting Bolt middleware, one concern each. They run after Bolt's own (signature
check, self-event filter), so a forged request reaches none of them."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from anyio import to_thread
from slack_bolt.response import BoltResponse

from crm_store import Database
from crm_store import slack as store

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


def take_each_event_once(database: Database) -> Callable[..., Awaitable[BoltResponse | None]]:
    """Record each Events API delivery by `event_id` before it is acknowledged; a retry
    (`X-Slack-Retry-Num`) of one already recorded is acknowledged and goes no further."""

    async def middleware(body: dict[str, Any], next: Next) -> BoltResponse | None:
        event_id = body.get("event_id")
        if body.get("type") != "event_callback" or not event_id:
            await next()
            return None
        event_type = str((body.get("event") or {}).get("type", ""))

        def take() -> bool:
            with database.transaction() as session:
                return store.take_event(session, str(event_id), event_type, body)

        if not await to_thread.run_sync(take):
            log.info("slack event delivered again; already taken", extra={"event_id": event_id})
            return BoltResponse(status=200, body="")
        await next()
        return None

    return middleware
