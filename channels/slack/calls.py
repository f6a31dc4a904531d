"""The Slack call queue: the queued Slack Web API calls, made in order, at least once,
and never a message posted twice.

Why a queue of its own rather than the customer outbox: outbox rows are interactions on
a customer's conversation, delivered to that customer; these calls go to agents, are Web
API methods with their own arguments, and one call's answer feeds the next (the card's
`ts` is the thread of every later message of its handoff). So the store keeps them in
`slack_calls` (crm_store/slack.py), with the outbox's guarantees:

- 429: wait as long as Slack's `Retry-After` says, then try again (not counted a failure).
- 5xx, a timeout, a dropped connection: try again with exponential backoff and jitter.
- `chat.postMessage` that timed out or got a 5xx may have been posted anyway. Each post
  carries message metadata naming its call id; before posting again the queue reads the
  channel (`conversations.history`) or the thread (`conversations.replies`) with
  `include_all_metadata` and, if the message is there, takes its `ts` instead of
  repeating it.
- Anything else Slack refuses (`channel_not_found`, `invalid_auth`, ...) is marked
  `failed` with the error and logged; a call still failing when its retry window ends
  (Slack down for hours) is parked `dead`, logged at ERROR, and listed for an admin to
  retry or discard. Neither is dropped.
- A handoff's later messages wait behind its card in the handoff's lane while the card
  is being retried; only if the card is not posted for good (its call dead or refused)
  are they parked `dead` too, and an admin's retry of the card brings them back in order.

The table is separate; the worker is not. This module says how to claim calls, how to
make one (raising `DeliveryError` with `retry_after` / `uncertain` as Slack answered) and
how to record what came of it; bot runs it on its one queue worker, with the delivery
retry policy (channels do not import bot: `SlackChannel` is handed a `CallWorker`).
The store is reached through `SlackCallBook`, which bot implements over crm_store.

slack_sdk's own retry handlers are off (`retry_handlers=[]`): the SDK would repeat a
timed-out post blindly.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from channels.errors import DeliveryError
from crm_store.slack import SlackCallRecord

log = logging.getLogger(__name__)

__all__ = ["CallWorker", "CardNotPosted", "CardThread", "SlackCallBook", "SlackCallQueue"]

METADATA_EVENT = "switchboard_call"
RESPONSE_URL = "response_url"  # not a Web API method: a POST to an interaction's response_url
POST = "chat.postMessage"
THREADED = ("thread_message",)
NEEDS_CARD = ("thread_message", "card_update")
RECONCILE_WINDOW = timedelta(minutes=10)
# Slack retries an event for about an hour; its event_id is kept well past that.
EVENTS_KEPT = timedelta(days=3)
FORGET_EVERY = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class CardThread:
    """Where a handoff's card sits in Slack: every later message of the handoff is a
    reply in its thread, and a card update edits it."""

    handoff_id: int
    channel: str
    ts: str


class SlackCallBook(Protocol):
    """The Slack call queue's store (`slack_calls`, the handoffs' card threads and the
    Slack events taken), as this queue needs it; bot implements it over crm_store."""

    async def claim_due_calls(
        self, *, now: datetime, lease: timedelta, limit: int
    ) -> list[SlackCallRecord]:
        """Due calls whose lane has nothing unfinished before them, marked taken."""
        ...

    async def next_call_due(self, after: datetime) -> datetime | None:
        """When the first call not due at `after` falls due (a retry, a lease's end)."""
        ...

    async def card_thread(self, handoff_id: int) -> CardThread | None:
        """The handoff's card, once it has been posted."""
        ...

    async def call_done(
        self, call_id: int, result: dict[str, Any], *, card: CardThread | None = None
    ) -> None:
        """The call is done; with `card`, the handoff records its card's thread too."""
        ...

    async def call_retry(
        self, call_id: int, *, at: datetime, error: str, uncertain: bool, count_attempt: bool
    ) -> None: ...

    async def call_failed(self, call_id: int, error: str) -> None: ...

    async def call_dead(self, call_id: int, error: str) -> None:
        """Retried until its window ended, or its card never posted: kept for an admin."""
        ...

    async def release_calls(self, call_ids: list[int]) -> int:
        """Hand claimed calls back (at shutdown), uncounting their try."""
        ...

    async def forget_events(self, received_before: datetime) -> int:
        """Drop handled Events API deliveries received before the given time."""
        ...


class CallWorker(Protocol):
    """What runs the queue: bot's queue worker (made by bot, since channels do not
    import bot). `wake()` after a call is queued; `run()` / `stop()` by the app."""

    def wake(self) -> None: ...

    async def run(self) -> None: ...

    async def stop(self, grace_seconds: float) -> None: ...


def _utcnow() -> datetime:
    return datetime.now(UTC)


class _Refused(Exception):
    """Slack said no for good: trying again will not help."""


class CardNotPosted(DeliveryError):
    """A call for a handoff's thread or card whose card call ended without a card (dead,
    refused or discarded): it cannot be made until an admin retries the card."""

    def __init__(self) -> None:
        super().__init__(
            "the handoff's card is not posted: its call is dead or was refused",
            retryable=False,
        )


class SlackCallQueue:
    """The Slack call queue as a queue for bot's queue worker: claim, make one call,
    record done / retry / failed. Calls go one after another, so a lane stays in order
    (the store claims at most the first unfinished call of each lane)."""

    def __init__(
        self,
        book: SlackCallBook,
        client: AsyncWebClient,
        *,
        lease_seconds: float = 60.0,
        clock: Callable[[], datetime] = _utcnow,
    ) -> None:
        self._book = book
        self.client = client
        self._lease = timedelta(seconds=lease_seconds)
        self._clock = clock
        self._forgotten_at: datetime | None = None

    async def claim(self, limit: int) -> list[SlackCallRecord]:
        # Forgetting old events is this queue's housekeeping: it rides on the claim, so it
        # runs as often as the queue is looked at, at most once per FORGET_EVERY.
        await self._forget_old_events()
        return await self._book.claim_due_calls(now=self._clock(), lease=self._lease, limit=limit)

    async def next_due(self, after: datetime) -> datetime | None:
        return await self._book.next_call_due(after)

    def lanes(self, calls: Sequence[SlackCallRecord]) -> list[Sequence[SlackCallRecord]]:
        """One lane per handoff (the store claims at most one call of each), one per call
        without a lane: a call to be retried holds back only its own handoff."""
        lanes: dict[str, list[SlackCallRecord]] = {}
        for call in calls:
            lanes.setdefault(call.lane or f"call:{call.id}", []).append(call)
        return list(lanes.values())

    async def perform(self, call: SlackCallRecord) -> dict[str, Any]:
        """Make the call (or find the post an unanswered earlier try made); Slack's
        answer. Raises `DeliveryError` saying whether and when to try again."""
        try:
            arguments = await self._arguments(call)
            if call.uncertain and call.method == POST:
                found = await self._find_posted(call, arguments)
                if found is not None:
                    log.info("slack post found after an unanswered try", extra={"call_id": call.id})
                    return found
            return await self._send(call, arguments)
        except DeliveryError:
            raise
        except (_Refused, SlackApiError) as refused:
            raise DeliveryError(str(refused), retryable=False) from refused
        except Exception as exc:  # a bug or a store hiccup: keep the call, try again later
            log.exception("slack call raised", extra={"call_id": call.id})
            raise DeliveryError(repr(exc), uncertain=call.method == POST) from exc

    async def done(self, call: SlackCallRecord, result: dict[str, Any]) -> None:
        kept = {k: result[k] for k in ("channel", "ts", "found", "status") if k in result}
        card = None
        if call.purpose == "handoff_card" and call.handoff_id and kept.get("ts"):
            card = CardThread(call.handoff_id, str(kept["channel"]), str(kept["ts"]))
        await self._book.call_done(call.id, kept, card=card)

    async def retry(
        self, call: SlackCallRecord, failure: DeliveryError, at: datetime, *, counted: bool
    ) -> None:
        log.warning(
            "slack call will be tried again",
            extra={
                "call_id": call.id,
                "method": call.method,
                "reason": failure.reason,
                "retry_at": at.isoformat(),
            },
        )
        await self._book.call_retry(
            call.id,
            at=at,
            error=failure.reason,
            uncertain=failure.uncertain,
            count_attempt=counted,
        )

    async def failed(self, call: SlackCallRecord, failure: DeliveryError) -> None:
        if isinstance(failure, CardNotPosted):
            await self.dead(call, failure)
            return
        log.error(
            "slack call failed",
            extra={"call_id": call.id, "method": call.method, "error": failure.reason},
        )
        await self._book.call_failed(call.id, failure.reason)

    async def dead(self, call: SlackCallRecord, failure: DeliveryError) -> None:
        """Parked for an admin; only logged (an alert about Slack cannot go to Slack)."""
        error = failure.reason
        if not isinstance(failure, CardNotPosted):
            error = f"gave up after {call.attempts} tries: {failure.reason}"
        log.error(
            "slack call is dead: retry or discard it (switchboard deliveries list)",
            extra={"call_id": call.id, "method": call.method, "error": error},
        )
        await self._book.call_dead(call.id, error)

    async def release(self, calls: Sequence[SlackCallRecord]) -> None:
        await self._book.release_calls([call.id for call in calls])

    async def _forget_old_events(self) -> None:
        now = self._clock()
        if self._forgotten_at is not None and now - self._forgotten_at < FORGET_EVERY:
            return
        self._forgotten_at = now
        await self._book.forget_events(now - EVENTS_KEPT)

    async def _arguments(self, call: SlackCallRecord) -> dict[str, Any]:
        """The call's arguments, with the card's channel and ts where the call needs them
        (known only once the card is posted, which the lane order makes sure of)."""
        arguments = dict(call.arguments)
        if call.purpose in NEEDS_CARD:
            card = await self._book.card_thread(call.handoff_id or 0)
            if card is None:  # the lane kept this call behind its card: the card failed
                raise CardNotPosted()
            arguments["channel"] = card.channel
            arguments["thread_ts" if call.purpose in THREADED else "ts"] = card.ts
        if call.method == POST:
            arguments["metadata"] = {
                "event_type": METADATA_EVENT,
                "event_payload": {"call_id": call.id},
            }
        return arguments

    async def _send(self, call: SlackCallRecord, arguments: dict[str, Any]) -> dict[str, Any]:
        posting = call.method == POST
        try:
            if call.method == RESPONSE_URL:
                url = arguments.pop("url")
                webhook = AsyncWebhookClient(url, timeout=self.client.timeout)
                answer = await webhook.send_dict(arguments)
                if answer.status_code == 429 or answer.status_code >= 500:
                    raise DeliveryError(f"response_url answered {answer.status_code}")
                if answer.status_code >= 400:
                    raise _Refused(f"response_url answered {answer.status_code}: {answer.body}")
                return {"status": answer.status_code}
            response = await self.client.api_call(call.method, json=arguments)
            return dict(response.data) if isinstance(response.data, dict) else {}
        except SlackApiError as exc:
            status = exc.response.status_code
            if status == 429:
                after = float(exc.response.headers.get("Retry-After", 1) or 1)
                raise DeliveryError("rate limited (429)", retry_after=after) from exc
            if status >= 500:
                raise DeliveryError(f"Slack answered {status}", uncertain=posting) from exc
            raise _Refused(f"Slack refused {call.method}: {exc.response.get('error')}") from exc
        except (TimeoutError, aiohttp.ClientError) as exc:
            raise DeliveryError(
                f"no answer: {type(exc).__name__} {exc}", uncertain=posting
            ) from exc

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
        except (SlackApiError, TimeoutError, aiohttp.ClientError) as exc:
            raise DeliveryError(
                f"could not check for an earlier post: {exc}", uncertain=True
            ) from exc
        for message in response.get("messages") or []:
            metadata = message.get("metadata") or {}
            payload = metadata.get("event_payload") or {}
            if metadata.get("event_type") == METADATA_EVENT and payload.get("call_id") == call.id:
                return {"ok": True, "channel": channel, "ts": message.get("ts"), "found": True}
        return None
