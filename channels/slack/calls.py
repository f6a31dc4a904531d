"""The Slack call worker: makes the queued Slack Web API calls, in order, at least once,
and never posts a message twice.

Why a queue of its own rather than the customer outbox: outbox rows are interactions on
a customer's conversation, delivered to that customer; these calls go to agents, are Web
API methods with their own arguments, and one call's answer feeds the next (the card's
`ts` is the thread of every later message of its handoff). So the store keeps them in
`slack_calls` (crm_store/slack.py), with the outbox's guarantees:

- 429: wait as long as Slack's `Retry-After` says, then try again (not counted a failure).
- 5xx, a timeout, a dropped connection: try again with exponential backoff and jitter.
- `chat.postMessage` that timed out or got a 5xx may have been posted anyway. Each post
  carries message metadata naming its call id; before posting again the worker reads the
  channel (`conversations.history`) or the thread (`conversations.replies`) with
  `include_all_metadata` and, if the message is there, takes its `ts` instead of
  repeating it.
- Anything else Slack refuses (`channel_not_found`, `invalid_auth`, ...) or a call that
  runs out of attempts is marked `failed` with the error and logged; it is not dropped.

slack_sdk's own retry handlers are off (`retry_handlers=[]`): the SDK would repeat a
timed-out post blindly.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import aiohttp
from anyio import to_thread
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from crm_store import Database, handoffs
from crm_store import slack as store
from crm_store.base import utcnow
from crm_store.slack import SlackCallRecord

log = logging.getLogger(__name__)

METADATA_EVENT = "switchboard_call"
RESPONSE_URL = "response_url"  # not a Web API method: a POST to an interaction's response_url
THREADED = ("thread_message",)
NEEDS_CARD = ("thread_message", "card_update")
RECONCILE_WINDOW = timedelta(minutes=10)
# Slack retries an event for about an hour; its event_id is kept well past that.
EVENTS_KEPT = timedelta(days=3)
FORGET_EVERY = timedelta(hours=1)


class _Retry(Exception):
    def __init__(self, reason: str, *, after: float | None = None, uncertain: bool = False):
        super().__init__(reason)
        self.after = after
        self.uncertain = uncertain


class _Refused(Exception):
    """Slack said no for good: trying again will not help."""


class SlackCallWorker:
    def __init__(
        self,
        database: Database,
        client: AsyncWebClient,
        *,
        max_attempts: int = 6,
        base_delay_seconds: float = 1.0,
        max_delay_seconds: float = 300.0,
        lease_seconds: float = 60.0,
        poll_interval_seconds: float = 1.0,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._db = database
        self.client = client
        self._max_attempts = max_attempts
        self._base_delay = base_delay_seconds
        self._max_delay = max_delay_seconds
        self._lease = timedelta(seconds=lease_seconds)
        self._poll_interval = poll_interval_seconds
        self._clock = clock
        self._wakeup = asyncio.Event()
        self._stopping = False
        self._forgotten_at: datetime | None = None

    def wake(self) -> None:
        self._wakeup.set()

    async def run(self) -> None:
        while not self._stopping:
            try:
                done = await self.make_due_calls()
                await self._forget_old_events()
            except Exception:
                log.exception("slack call pass failed; trying again")
                done = 0
            if done == 0 and not self._stopping:
                self._wakeup.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wakeup.wait(), self._poll_interval)

    async def stop(self, grace_seconds: float = 0.0) -> None:
        """Stop claiming; a call left claimed is taken again when its lease runs out."""
        self._stopping = True
        self._wakeup.set()

    async def make_due_calls(self) -> int:
        """One pass: claim due calls and make them one after another (so a lane stays in
        order). Returns how many were tried."""
        calls = await to_thread.run_sync(self._claim)
        for call in calls:
            if self._stopping:
                break
            await self._make(call)
        # Calls left claimed at a stop are taken again when their lease runs out.
        return len(calls)

    async def _forget_old_events(self) -> None:
        now = self._clock()
        if self._forgotten_at is not None and now - self._forgotten_at < FORGET_EVERY:
            return
        self._forgotten_at = now

        def forget() -> int:
            with self._db.transaction() as session:
                return store.forget_events(session, now - EVENTS_KEPT)

        await to_thread.run_sync(forget)

    def _claim(self) -> list[SlackCallRecord]:
        with self._db.transaction() as session:
            return store.claim_due_calls(session, now=self._clock(), lease=self._lease)

    async def _make(self, call: SlackCallRecord) -> None:
        try:
            arguments = await to_thread.run_sync(self._arguments, call)
            if call.uncertain and call.method == "chat.postMessage":
                found = await self._find_posted(call, arguments)
                if found is not None:
                    log.info("slack post found after an unanswered try", extra={"call_id": call.id})
                    await to_thread.run_sync(self._done, call, found)
                    return
            result = await self._send(call, arguments)
        except _Retry as retry:
            await to_thread.run_sync(self._retry, call, retry)
            return
        except (_Refused, SlackApiError) as refused:
            await to_thread.run_sync(self._fail, call, str(refused))
            return
        except Exception as exc:  # a bug or a store hiccup: keep the call, try again later
            log.exception("slack call raised", extra={"call_id": call.id})
            posting = call.method == "chat.postMessage"
            await to_thread.run_sync(self._retry, call, _Retry(repr(exc), uncertain=posting))
            return
        await to_thread.run_sync(self._done, call, result)

    def _arguments(self, call: SlackCallRecord) -> dict[str, Any]:
        """The call's arguments, with the card's channel and ts where the call needs them
        (known only once the card is posted, which the lane order makes sure of)."""
        arguments = dict(call.arguments)
        if call.purpose in NEEDS_CARD:
            with self._db.transaction() as session:
                handoff = handoffs.get_handoff(session, call.handoff_id or 0)
            if handoff is None or not handoff.slack_thread_ts:
                raise _Refused("the handoff's card was never posted")
            arguments["channel"] = handoff.slack_channel
            arguments["thread_ts" if call.purpose in THREADED else "ts"] = handoff.slack_thread_ts
        if call.method == "chat.postMessage":
            arguments["metadata"] = {
                "event_type": METADATA_EVENT,
                "event_payload": {"call_id": call.id},
            }
        return arguments

    async def _send(self, call: SlackCallRecord, arguments: dict[str, Any]) -> dict[str, Any]:
        posting = call.method == "chat.postMessage"
        try:
            if call.method == RESPONSE_URL:
                url = arguments.pop("url")
                webhook = AsyncWebhookClient(url, timeout=self.client.timeout)
                answer = await webhook.send_dict(arguments)
                if answer.status_code == 429 or answer.status_code >= 500:
                    raise _Retry(f"response_url answered {answer.status_code}")
                if answer.status_code >= 400:
                    raise _Refused(f"response_url answered {answer.status_code}: {answer.body}")
                return {"status": answer.status_code}
            response = await self.client.api_call(call.method, json=arguments)
            return dict(response.data) if isinstance(response.data, dict) else {}
        except SlackApiError as exc:
            status = exc.response.status_code
            if status == 429:
                after = float(exc.response.headers.get("Retry-After", 1) or 1)
                raise _Retry("rate limited (429)", after=after) from exc
            if status >= 500:
                raise _Retry(f"Slack answered {status}", uncertain=posting) from exc
            raise _Refused(f"Slack refused {call.method}: {exc.response.get('error')}") from exc
        except (TimeoutError, aiohttp.ClientError) as exc:
            raise _Retry(f"no answer: {type(exc).__name__} {exc}", uncertain=posting) from exc

    async def _find_posted(
        self, call: SlackCallRecord, arguments: dict[str, Any]
    ) -> dict[str, Any] | None:
        """The message an earlier, unanswered try of this call posted, if it did."""
        oldest = f"{(call.created_at - RECONCILE_WINDOW).timestamp():.6f}"
        channel = arguments["channel"]
        try:
            if arguments.get("thread_ts"):
                response = await self.client.conversations_replies(
                    channel=channel,
                    ts=arguments["thread_ts"],
                    oldest=oldest,
                    include_all_metadata=True,
                    limit=200,
                )
            else:
                response = await self.client.conversations_history(
                    channel=channel, oldest=oldest, include_all_metadata=True, limit=200
                )
        except SlackApiError as exc:
            raise _Retry(f"could not check for an earlier post: {exc}", uncertain=True) from exc
        except (TimeoutError, aiohttp.ClientError) as exc:
            raise _Retry(f"could not check for an earlier post: {exc}", uncertain=True) from exc
        for message in response.get("messages") or []:
            metadata = message.get("metadata") or {}
            payload = metadata.get("event_payload") or {}
            if metadata.get("event_type") == METADATA_EVENT and payload.get("call_id") == call.id:
                return {"ok": True, "channel": channel, "ts": message.get("ts"), "found": True}
        return None

    # -- recording the outcome -------------------------------------------------------

    def _done(self, call: SlackCallRecord, result: dict[str, Any]) -> None:
        kept = {k: result[k] for k in ("channel", "ts", "found", "status") if k in result}
        with self._db.transaction() as session:
            store.call_done(session, call.id, kept)
            if call.purpose == "handoff_card" and call.handoff_id and kept.get("ts"):
                handoffs.set_slack_thread(
                    session, call.handoff_id, str(kept["channel"]), str(kept["ts"])
                )

    def _retry(self, call: SlackCallRecord, retry: _Retry) -> None:
        rate_limited = retry.after is not None
        if not rate_limited and call.attempts >= self._max_attempts:
            self._fail(call, f"gave up after {call.attempts} tries: {retry}")
            return
        if rate_limited:
            delay = float(retry.after or 0)
        else:
            plain = min(self._max_delay, self._base_delay * 2 ** (call.attempts - 1))
            delay = plain * (1 + 0.2 * (2 * random.random() - 1))
        log.warning(
            "slack call will be tried again",
            extra={"call_id": call.id, "method": call.method, "reason": str(retry), "in": delay},
        )
        with self._db.transaction() as session:
            store.call_retry(
                session,
                call.id,
                at=self._clock() + timedelta(seconds=delay),
                error=str(retry),
                uncertain=retry.uncertain,
                count_attempt=not rate_limited,
            )

    def _fail(self, call: SlackCallRecord, error: str) -> None:
        log.error(
            "slack call failed", extra={"call_id": call.id, "method": call.method, "error": error}
        )
        with self._db.transaction() as session:
            store.call_failed(session, call.id, error)
