"""Erasing a customer's copies in Slack: the handoff cards and their threads.

Each thread is read with `conversations.replies` and every message the bot posted in it
(the card, the customer's relayed words, notes) is deleted with `chat.delete`, replies
first and the card last. Messages agents wrote in the thread are theirs: Slack lets only
their author (or a workspace admin, with a user token) delete them, so they are counted
and reported as not reachable, never silently passed over. A thread already gone
(`thread_not_found`, `message_not_found`, `channel_not_found`) has nothing left to erase.
A rate limit or a Slack outage raises `DeliveryError` for the queue worker to retry.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from channels.errors import DeliveryError
from channels.slack.app import SlackConfig, web_client

__all__ = ["SlackThreadEraser", "ThreadsErased"]

GONE = {"thread_not_found", "message_not_found", "channel_not_found", "not_in_channel"}


@dataclass(frozen=True, slots=True)
class ThreadsErased:
    deleted: int  # the bot's messages deleted (cards and thread messages)
    agents_messages: int  # messages agents wrote in the threads: theirs to delete
    threads_gone: int  # threads Slack no longer had


class SlackThreadEraser:
    def __init__(self, config: SlackConfig, client: AsyncWebClient | None = None) -> None:
        self._client = client or web_client(config)

    async def erase(self, threads: list[tuple[str, str]]) -> ThreadsErased:
        me = await self._call("auth.test", self._client.auth_test)
        mine = {me.get("bot_id"), me.get("user_id")} - {None}
        deleted = agents = gone = 0
        for channel, thread_ts in threads:
            messages = await self._thread(channel, thread_ts)
            if messages is None:
                gone += 1
                continue
            replies = [m for m in messages if m.get("ts") != thread_ts]
            card = [m for m in messages if m.get("ts") == thread_ts]
            for message in [*replies, *card]:
                if message.get("bot_id") in mine or message.get("user") in mine:
                    if await self._delete(channel, str(message["ts"])):
                        deleted += 1
                else:
                    agents += 1
        return ThreadsErased(deleted, agents, gone)

    async def _thread(self, channel: str, ts: str) -> list[dict[str, Any]] | None:
        found: list[dict[str, Any]] = []
        cursor: str | None = None
        while True:
            arguments: dict[str, Any] = {"channel": channel, "ts": ts, "limit": 200}
            if cursor:
                arguments["cursor"] = cursor
            answer = await self._call(
                "conversations.replies", self._client.conversations_replies, **arguments
            )
            if answer.get("error") in GONE:
                return None
            found += answer.get("messages") or []
            cursor = (answer.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                return found

    async def _delete(self, channel: str, ts: str) -> bool:
        answer = await self._call("chat.delete", self._client.chat_delete, channel=channel, ts=ts)
        return answer.get("error") not in GONE

    async def _call(
        self, method: str, call: Callable[..., Awaitable[Any]], **arguments: Any
    ) -> dict[str, Any]:
        """The answer's data; an error Slack gives for good about a missing message or
        thread comes back as data (`error`), anything else raises `DeliveryError`."""
        try:
            response = await call(**arguments)
        except SlackApiError as exc:
            data = dict(exc.response.data) if isinstance(exc.response.data, dict) else {}
            error = str(data.get("error") or exc)
            if error in GONE:
                return {"ok": False, "error": error}
            status = exc.response.status_code
            wait = exc.response.headers.get("Retry-After") if exc.response.headers else None
            retryable = status == 429 or status >= 500 or error in ("ratelimited", "fatal_error")
            raise DeliveryError(
                f"Slack {method}: {error}",
                retryable=retryable,
                retry_after=float(wait) if wait and str(wait).isdigit() else None,
            ) from None
        except (TimeoutError, OSError, aiohttp.ClientError) as exc:
            raise DeliveryError(f"Slack {method} did not answer: {exc}") from None
        return dict(response.data) if isinstance(response.data, dict) else {}
