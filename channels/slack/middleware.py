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
COMMAND = "slash_command"


def command_key(body: dict[str, Any]) -> str | None:
    """The ledger key of a slash command: its `trigger_id`, which Slack makes for each
    invocation (a command carries no `event_id`). None for anything else."""
    trigger_id = body.get("trigger_id")
    if not body.get("command") or not trigger_id:
        return None
    return f"command:{trigger_id}"


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


def take_each_command_once(
    ledger: SlackEventLedger,
) -> Callable[..., Awaitable[BoltResponse | None]]:
    """Record each slash command by its `trigger_id` before it runs; the same command
    again (a replay of the signed request within its five minutes, or a resend) is
    acknowledged with an empty 200 and not run a second time.

    Only what identifies the command is kept: not its text (an account or a customer's
    email), its `response_url` (which can post to the channel) or the legacy token."""

    async def middleware(body: dict[str, Any], next: Next) -> BoltResponse | None:
        key = command_key(body)
        if key is None:
            await next()
            return None
        kept = {k: body.get(k) for k in ("command", "user_id", "channel_id", "team_id")}
        if not await ledger.take(key, COMMAND, kept):
            log.info("slack command sent again; already taken", extra={"command_key": key})
            return BoltResponse(status=200, body="")
        await next()
        return None

    return middleware
