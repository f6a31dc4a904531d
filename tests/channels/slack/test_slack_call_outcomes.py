"""What the Slack call queue records for each outcome, on a recording book (no Slack,
no database), and the hand-back at shutdown in the store (SQLite and PostgreSQL)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from channels.errors import DeliveryError
from channels.slack.calls import CardNotPosted, CardThread, SlackCallQueue
from crm_store import Database
from crm_store import slack as store
from crm_store.slack import SlackCallRecord

NOW = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)


def call(call_id: int, purpose: str = "handoff_card", attempts: int = 1) -> SlackCallRecord:
    return SlackCallRecord(
        id=call_id,
        method="chat.postMessage",
        arguments={"channel": "C1"},
        purpose=purpose,
        lane="handoff:7",
        handoff_id=7,
        status="sending",
        attempts=attempts,
        uncertain=False,
        result={},
        last_error=None,
        created_at=NOW,
    )


@dataclass
class RecordingBook:
    """A `SlackCallBook` that keeps what it was told."""

    done: list[tuple[int, dict[str, Any], CardThread | None]] = field(default_factory=list)
    retried: list[tuple[int, str, bool, bool]] = field(default_factory=list)
    failed: list[tuple[int, str]] = field(default_factory=list)
    dead: list[tuple[int, str]] = field(default_factory=list)
    released: list[int] = field(default_factory=list)
    forgotten_before: list[datetime] = field(default_factory=list)

    async def claim_due_calls(
        self, *, now: datetime, lease: timedelta, limit: int
    ) -> list[SlackCallRecord]:
        return [call(1), call(2, purpose="thread_message")]

    async def next_call_due(self, after: datetime) -> datetime | None:
        return None

    async def card_thread(self, handoff_id: int) -> CardThread | None:
        return None

    async def call_done(
        self, call_id: int, result: dict[str, Any], *, card: CardThread | None = None
    ) -> None:
        self.done.append((call_id, result, card))

    async def call_retry(
        self, call_id: int, *, at: datetime, error: str, uncertain: bool, count_attempt: bool
    ) -> None:
        self.retried.append((call_id, error, uncertain, count_attempt))

    async def call_failed(self, call_id: int, error: str) -> None:
        self.failed.append((call_id, error))

    async def call_dead(self, call_id: int, error: str) -> None:
        self.dead.append((call_id, error))

    async def release_calls(self, call_ids: list[int]) -> int:
        self.released.extend(call_ids)
        return len(call_ids)

    async def forget_events(self, received_before: datetime) -> int:
        self.forgotten_before.append(received_before)
        return 0


def queue(book: RecordingBook) -> SlackCallQueue:
    return SlackCallQueue(book, AsyncWebClient(token="xoxb-unused"), clock=lambda: NOW)


async def test_outcomes_are_recorded_as_the_old_worker_recorded_them() -> None:
    book = RecordingBook()
    calls = queue(book)
    card, reply = await calls.claim(20)
    assert calls.lanes([card, reply]) == [[card, reply]]  # one after another

    await calls.done(card, {"ok": True, "channel": "C1", "ts": "1.5", "message": {}})
    await calls.retry(card, DeliveryError("Slack answered 503", uncertain=True), NOW, counted=True)
    await calls.retry(card, DeliveryError("rate limited (429)", retry_after=3), NOW, counted=False)
    await calls.dead(reply, DeliveryError("Slack answered 503"))
    await calls.failed(reply, DeliveryError("Slack refused: channel_not_found", retryable=False))

    assert book.done == [(1, {"channel": "C1", "ts": "1.5"}, CardThread(7, "C1", "1.5"))]
    assert book.retried == [
        (1, "Slack answered 503", True, True),
        (1, "rate limited (429)", False, False),
    ]
    assert book.dead == [(2, "gave up after 1 tries: Slack answered 503")]
    assert book.failed == [(2, "Slack refused: channel_not_found")]


async def test_old_events_are_forgotten_at_most_hourly() -> None:
    book = RecordingBook()
    calls = queue(book)
    await calls.claim(20)
    await calls.claim(20)
    assert book.forgotten_before == [NOW - timedelta(days=3)]


async def test_a_thread_message_without_a_posted_card_is_parked_dead() -> None:
    book = RecordingBook()
    try:
        await queue(book).perform(call(2, purpose="thread_message"))
    except CardNotPosted as failure:
        assert "card is not posted" in failure.reason
        await queue(book).failed(call(2, purpose="thread_message"), failure)
        assert book.dead == [(2, failure.reason)] and book.failed == []
    else:
        raise AssertionError("performed a thread message with no card")


def test_calls_handed_back_at_shutdown_are_uncounted_and_posts_uncertain(
    database: Database,
) -> None:
    with database.transaction() as session:
        post = store.enqueue_call(session, "chat.postMessage", {}, purpose="answer")
        ephemeral = store.enqueue_call(session, "chat.postEphemeral", {}, purpose="answer")
        finished = store.enqueue_call(session, "chat.update", {}, purpose="answer")
    with database.transaction() as session:
        later = datetime.now(UTC) + timedelta(seconds=1)
        store.claim_due_calls(session, now=later, lease=timedelta(seconds=60))
        store.call_done(session, finished.id, {})
        released = store.release_calls(session, [post.id, ephemeral.id, finished.id])
    with database.transaction() as session:
        rows = {c.id: (c.status, c.attempts, c.uncertain) for c in store.calls(session)}
    assert released == 2
    assert rows == {
        post.id: ("pending", 0, True),  # it may have been posted: look before posting again
        ephemeral.id: ("pending", 0, False),
        finished.id: ("done", 1, False),
    }
