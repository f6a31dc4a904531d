"""Webhook deliveries through the queue worker to a real local receiver that verifies
each with the `standardwebhooks` package, on SQLite and PostgreSQL: the receiver down
for an hour and then up gets every event once, in order per subject; a day of failures
turns the subscription off with an alarm; a replay sends the same event again; a URL
into a private network is not called."""

from __future__ import annotations

from sqlalchemy import select

from bot.delivery.dead_alarm import SlackWebhookAlarm
from bot.delivery.queue import RetryPolicy
from bot.webhooks.queue import WebhookWorker
from bot.webhooks.signing import new_secret
from crm_store import (
    Database,
    customers,
    history,
    tickets,
    webhook_log,
    webhook_subscriptions,
)
from crm_store.models import SlackCall, WebhookAttempt, WebhookDelivery
from crm_store.records import NewInteraction
from crm_store.webhook_subscriptions import SubscriptionRecord
from tests.support.delivery_clock import Clock, run_queue_for
from tests.support.ports import free_port
from tests.support.webhook_receiver import WebhookReceiver

HOUR = 3600.0


def _worker(database: Database, clock: Clock, *, allowed: tuple[str, ...] = ("127.0.0.1",)):
    return WebhookWorker(
        database,
        policy=RetryPolicy(
            max_attempts=None,
            base_delay_seconds=30,
            max_delay_seconds=600,
            jitter=0.0,
            retry_window_seconds=72 * HOUR,
        ),
        allowed_hosts=allowed,
        timeout_seconds=5,
        disable_after_seconds=24 * HOUR,
        clock=clock,
    )


def _subscribe(database: Database, url: str, secret: str) -> int:
    with database.transaction() as session:
        return webhook_subscriptions.create_subscription(
            session,
            url=url,
            events=list(webhook_subscriptions.EVENT_TYPES),
            secret=secret,
            description=None,
        ).id


def _two_conversations_and_a_ticket(database: Database) -> tuple[int, int, str]:
    """Events on three subjects, interleaved."""
    with database.transaction() as session:
        ada, ada_sms = customers.resolve_identity(session, "sms", "+14155550101")
        bob, bob_sms = customers.resolve_identity(session, "sms", "+14155550102")
        first = history.current_conversation(
            session, customer_id=ada.id, identity_id=ada_sms.id, channel="sms"
        )
        second = history.current_conversation(
            session, customer_id=bob.id, identity_id=bob_sms.id, channel="sms"
        )
        ticket = tickets.open_ticket(session, customer_id=ada.id, subject="Refund")
        for n in range(3):
            for conversation in (first, second):
                history.append(
                    session,
                    conversation,
                    NewInteraction(direction="in", author="customer", text=f"message {n}"),
                )
            tickets.change_ticket(
                session, ticket.number, staff_id=None, priority=("high", "low", "urgent")[n]
            )
    return first.id, second.id, ticket.number


def _statuses(database: Database) -> list[str]:
    with database.transaction() as session:
        return list(session.scalars(select(WebhookDelivery.status).order_by(WebhookDelivery.id)))


async def test_receiver_down_for_an_hour_then_up_gets_every_event_once_in_order(
    database: Database,
) -> None:
    secret = new_secret()
    receiver = WebhookReceiver(free_port(), secret)  # not started: down
    subscription = _subscribe(database, receiver.url, secret)
    first, second, ticket = _two_conversations_and_a_ticket(database)
    clock = Clock()
    worker = _worker(database, clock)
    await run_queue_for(worker, clock, HOUR, step=60)
    assert set(_statuses(database)) == {"pending"}
    with database.transaction() as session:
        tries = session.scalars(select(WebhookAttempt)).all()
        # Only the head of each subject was tried: what follows it waits behind it.
        tried = {try_.delivery_id for try_ in tries}
        assert len(tried) == 3 and all(t.status_code is None and t.error for t in tries)
        sub = webhook_subscriptions.get_subscription(session, subscription)
        assert sub is not None and sub.active and sub.failing_since is not None
    receiver.start()
    try:
        await run_queue_for(worker, clock, HOUR, step=60)
    finally:
        receiver.stop()
    assert set(_statuses(database)) == {"delivered"}
    assert receiver.refused == []
    ids = [event_id for event_id, _ in receiver.received]
    assert len(ids) == len(set(ids)) == 2 + 6 + 3  # each event once
    for conversation in (first, second):
        assert receiver.types_of("conversation_id", conversation) == [
            "conversation.created",
            "message.created",
            "message.created",
            "message.created",
        ]
        texts = [
            p["data"]["text"]
            for _, p in receiver.received
            if p["type"] == "message.created" and p["data"]["conversation_id"] == conversation
        ]
        assert texts == ["message 0", "message 1", "message 2"]
    priorities = [p["data"]["priority"] for _, p in receiver.received if p["data"].get("number")]
    assert priorities == ["high", "low", "urgent"]
    with database.transaction() as session:
        sub = webhook_subscriptions.get_subscription(session, subscription)
        assert sub is not None and sub.failing_since is None  # a success ends the streak
        assert ticket


async def test_a_day_of_failures_turns_the_subscription_off_and_raises_the_alarm(
    database: Database,
) -> None:
    secret = new_secret()
    receiver = WebhookReceiver(free_port(), secret, answer_status=500)
    receiver.start()
    try:
        subscription = _subscribe(database, receiver.url, secret)
        _two_conversations_and_a_ticket(database)
        clock = Clock()
        worker = _worker(database, clock)
        alarms: list[SubscriptionRecord] = []

        async def alarm(record: SubscriptionRecord) -> None:
            alarms.append(record)

        worker.webhooks.alarm = alarm
        # Hour steps: each retry (at most 10 minutes apart) is due at every step, and 25
        # steps try what 150 did (the test took a minute of CI on each database).
        await run_queue_for(worker, clock, 25 * HOUR, step=HOUR)
        (disabled,) = alarms
        assert disabled.id == subscription and not disabled.active
        assert "every delivery failed for 24" in (disabled.disabled_reason or "")
        assert receiver.received == [] and receiver.refused == []
        with database.transaction() as session:
            log = webhook_log.delivery_log(session, subscription)
        head = next(entry for entry in log if entry.tries)
        assert head.tries[0]["status_code"] == 500 and "HTTP 500" in head.last_error
        # Turned off, nothing more is tried, and nothing is lost: every event waits.
        assert set(_statuses(database)) == {"pending"}
        with database.transaction() as session:
            tries = len(session.scalars(select(WebhookAttempt)).all())
        await run_queue_for(worker, clock, HOUR, step=600)
        with database.transaction() as session:
            assert len(session.scalars(select(WebhookAttempt)).all()) == tries

        # Fixed and turned on again: the waiting events go, in order.
        receiver.answer_status = 204
        with database.transaction() as session:
            webhook_subscriptions.change_subscription(session, subscription, active=True)
        await run_queue_for(worker, clock, HOUR, step=60)
        assert set(_statuses(database)) == {"delivered"}
        assert len(receiver.received) == 11
    finally:
        receiver.stop()


async def test_a_replay_sends_the_same_event_again(database: Database) -> None:
    secret = new_secret()
    receiver = WebhookReceiver(free_port(), secret)
    receiver.start()
    try:
        subscription = _subscribe(database, receiver.url, secret)
        _two_conversations_and_a_ticket(database)
        clock = Clock()
        worker = _worker(database, clock)
        await run_queue_for(worker, clock, 60, step=10)
        with database.transaction() as session:
            last = webhook_log.delivery_log(session, subscription)[0]
            assert webhook_log.replay(session, last.id, now=clock.now) == "delivered"
            assert webhook_log.replay(session, last.id, now=clock.now) == "pending"  # on its way
        await run_queue_for(worker, clock, 60, step=10)
        (first_id, first), (again_id, again) = [
            item for item in receiver.received if item[0] == last.event_id
        ]
        assert first_id == again_id and first == again
    finally:
        receiver.stop()


async def test_a_url_that_now_resolves_into_a_private_network_is_not_called(
    database: Database,
) -> None:
    secret = new_secret()
    receiver = WebhookReceiver(free_port(), secret)
    receiver.start()
    try:
        subscription = _subscribe(database, receiver.url, secret)
        _two_conversations_and_a_ticket(database)
        clock = Clock()
        worker = _worker(database, clock, allowed=())  # 127.0.0.1 no longer allowed
        await run_queue_for(worker, clock, 60, step=10)
        assert receiver.received == [] and receiver.refused == []
        with database.transaction() as session:
            log = webhook_log.delivery_log(session, subscription)
        failed = [entry for entry in log if entry.status == "failed"]
        assert failed and all("not a public address" in (e.last_error or "") for e in failed)
    finally:
        receiver.stop()


async def test_the_slack_alarm_posts_to_the_handoff_channel_through_the_call_queue(
    database: Database,
) -> None:
    woken = []
    alarm = SlackWebhookAlarm(database, "C0HANDOFF", lambda: woken.append(True))
    subscription = _subscribe(database, "https://crm.example.com/hooks", new_secret())
    with database.transaction() as session:
        record = webhook_subscriptions.get_subscription(session, subscription)
    assert record is not None
    await alarm(record)
    with database.transaction() as session:
        (call,) = session.scalars(select(SlackCall)).all()
    assert (call.method, call.purpose, call.arguments["channel"]) == (
        "chat.postMessage",
        "dead_alert",
        "C0HANDOFF",
    )
    assert f"subscription {subscription} (https://crm.example.com/hooks)" in call.arguments["text"]
    assert woken == [True]
