"""The delivery worker: retries with backoff, exactly one success, failures visible."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from bot.conversation.engine import ConversationEngine
from bot.delivery.worker import DeliveryWorker, RetryPolicy
from channels.messages import Channel, InboundMessage
from crm_store import Database, history, outbox
from crm_store.base import utcnow
from crm_store.records import OutboxRecord
from tests.support.fakes import RecordingSender, ScriptedDialogue
from tests.support.waiting import until


async def logged_reply(database: Database) -> int:
    """Log one inbound message and its bot reply; return the reply's interaction id."""
    engine = ConversationEngine(database, ScriptedDialogue(replies=["Your order shipped"]))
    result = await engine.receive(
        InboundMessage(
            channel=Channel.TERMINAL,
            address="+15550100",
            provider_message_id="m1",
            text="where is my order?",
        )
    )
    with database.transaction() as session:
        return history.replies_to(session, _inbound_id(database, result.conversation_id))[0].id


def _inbound_id(database: Database, conversation_id: int) -> int:
    with database.transaction() as session:
        return history.messages_after(session, conversation_id, 0)[0].id


def state(database: Database, interaction_id: int) -> tuple[str, int, str | None, str | None]:
    with database.transaction() as session:
        row = outbox.outbox_for_interaction(session, interaction_id)
        assert row is not None
        status = history.get_interaction(session, interaction_id).delivery_status
        return row.status, row.attempts, row.last_error, status


def make_worker(database: Database, sender: RecordingSender, **policy: float) -> DeliveryWorker:
    return DeliveryWorker(
        database, {Channel.TERMINAL: sender}, policy=RetryPolicy(base_delay_seconds=0.0, **policy)
    )


async def drain(worker: DeliveryWorker) -> None:
    while await worker.deliver_due():
        pass


async def test_fails_twice_then_succeeds_delivers_exactly_once(database: Database) -> None:
    reply_id = await logged_reply(database)
    sender = RecordingSender(failures=2)

    await drain(make_worker(database, sender))

    assert len(sender.attempts) == 3
    assert [m.text for m in sender.sent] == ["Your order shipped"]
    assert state(database, reply_id) == ("sent", 3, None, "sent")


async def test_always_failing_ends_dead_and_visible(database: Database) -> None:
    reply_id = await logged_reply(database)
    sender = RecordingSender(failures=10**6)

    await drain(make_worker(database, sender, max_attempts=4))

    assert len(sender.attempts) == 4 and sender.sent == []
    status, attempts, error, interaction_status = state(database, reply_id)
    assert (status, attempts, interaction_status) == ("dead", 4, "dead")
    assert error == "gave up after 4 tries: provider refused (attempt 4)"


async def test_permanent_error_fails_at_once(database: Database) -> None:
    reply_id = await logged_reply(database)
    sender = RecordingSender(failures=1, retryable=False)

    await drain(make_worker(database, sender))

    assert len(sender.attempts) == 1
    assert state(database, reply_id)[0] == "failed"


async def test_retry_waits_for_backoff(database: Database) -> None:
    reply_id = await logged_reply(database)
    sender = RecordingSender(failures=1)
    worker = DeliveryWorker(
        database, {Channel.TERMINAL: sender}, policy=RetryPolicy(base_delay_seconds=3600.0)
    )

    await drain(worker)

    assert len(sender.attempts) == 1  # the retry is an hour away, not now
    assert state(database, reply_id)[:2] == ("pending", 1)


async def test_missing_adapter_fails_visibly(database: Database) -> None:
    reply_id = await logged_reply(database)
    await drain(DeliveryWorker(database, {}))
    status, _, error, _ = state(database, reply_id)
    assert status == "failed" and "no adapter" in (error or "")


async def test_shutdown_requeues_a_send_in_flight(database: Database) -> None:
    reply_id = await logged_reply(database)
    stuck = RecordingSender(block=asyncio.Event())
    worker = make_worker(database, stuck)

    pass_task = asyncio.create_task(worker.deliver_due())
    while not stuck.attempts:
        await asyncio.sleep(0.01)
    await worker.stop(grace_seconds=0.05)
    await asyncio.gather(pass_task, return_exceptions=True)

    assert state(database, reply_id)[:2] == ("pending", 0)
    healthy = RecordingSender()
    await drain(make_worker(database, healthy))
    assert [m.text for m in healthy.sent] == ["Your order shipped"]


def test_backoff_grows_exponentially_with_bounded_jitter() -> None:
    policy = RetryPolicy(base_delay_seconds=1.0, max_delay_seconds=10.0, jitter=0.2)
    assert [policy.delay(n, rand=lambda: 0.5) for n in (1, 2, 3, 4, 5)] == [1, 2, 4, 8, 10]
    assert policy.delay(1, rand=lambda: 0.0) == pytest.approx(0.8)
    assert policy.delay(1, rand=lambda: 1.0) == pytest.approx(1.2)


async def test_a_worker_limited_to_some_channels_leaves_the_others_alone(
    database: Database,
) -> None:
    reply_id = await logged_reply(database)  # a terminal-channel reply
    web_only = DeliveryWorker(
        database, {Channel.TERMINAL: RecordingSender()}, only=frozenset({Channel.WEB})
    )
    assert await web_only.deliver_due() == 0
    assert state(database, reply_id)[:2] == ("pending", 0)


def counted_claims(worker: DeliveryWorker) -> list[int]:
    """The worker's claims, counted as they are made (one number, in a list)."""
    counted = [0]
    claim = worker.outbox.claim

    async def counting(limit: int) -> list[OutboxRecord]:
        counted[0] += 1
        return await claim(limit)

    worker.outbox.claim = counting  # type: ignore[method-assign]
    return counted


async def run_until_sent(worker: DeliveryWorker, sender: RecordingSender) -> None:
    running = asyncio.create_task(worker.run())
    await until(lambda: bool(sender.sent))
    await asyncio.sleep(0.2)  # the pass after, which finds nothing
    await worker.stop(grace_seconds=1.0)
    await asyncio.wait_for(running, timeout=5.0)


async def test_an_idle_worker_sends_a_retry_at_its_time_without_a_wake_up(
    database: Database,
) -> None:
    reply_id = await logged_reply(database)
    sender = RecordingSender(failures=1)
    policy = RetryPolicy(base_delay_seconds=0.5, jitter=0.0)
    worker = DeliveryWorker(
        database, {Channel.TERMINAL: sender}, policy=policy, poll_interval_seconds=60.0
    )
    claims = counted_claims(worker)
    await run_until_sent(worker, sender)
    assert state(database, reply_id)[:2] == ("sent", 2)
    # Took it (it failed); found it waiting; took it at its time; found nothing. No
    # polls between (one more should the timer fire a hair early).
    assert claims[0] in (4, 5)


async def test_a_dead_process_s_claim_is_sent_when_its_lease_ends(database: Database) -> None:
    reply_id = await logged_reply(database)
    with database.transaction() as session:  # claimed by a process that then died
        outbox.claim_due(session, now=utcnow(), limit=1, lease=timedelta(seconds=0.5))
    sender = RecordingSender()
    worker = DeliveryWorker(database, {Channel.TERMINAL: sender}, poll_interval_seconds=60.0)
    claims = counted_claims(worker)
    await run_until_sent(worker, sender)
    assert state(database, reply_id)[:2] == ("sent", 2)
    assert claims[0] in (3, 4)  # found it claimed; took it when the lease ended; none
