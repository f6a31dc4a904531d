"""Retries measured in time: the settings' defaults retry for hours (not six tries in
~16 s), a row whose window ends is `dead` (not `failed`), a row behind one to be retried
waits rather than overtaking it, and a dead send raises the Slack alarm through the
Slack call queue."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from bot.delivery.dead_alarm import SlackDeadAlarm
from bot.delivery.queue import QueueWorker
from bot.settings import DeliverySettings
from channels.errors import DeliveryError
from crm_store import Database, customers, history, outbox
from crm_store import slack as slack_store
from crm_store.records import NewInteraction

NOW = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Row:
    id: int
    attempts: int = 1
    window_start: datetime = NOW


@dataclass
class OneLaneQueue:
    """Every claimed row in one lane; each perform fails with the scripted error."""

    due: list[Row]
    errors: dict[int, DeliveryError] = field(default_factory=dict)
    performed: list[int] = field(default_factory=list)
    outcomes: list[tuple[str, int]] = field(default_factory=list)

    async def claim(self, limit: int) -> list[Row]:
        taken, self.due = self.due, []
        return taken

    def lanes(self, rows: Sequence[Row]) -> list[Sequence[Row]]:
        return [rows]

    async def perform(self, row: Row) -> str:
        self.performed.append(row.id)
        if row.id in self.errors:
            raise self.errors[row.id]
        return "ok"

    async def done(self, row: Row, result: str) -> None:
        self.outcomes.append(("done", row.id))

    async def retry(self, row: Row, failure: DeliveryError, at: datetime, *, counted: bool) -> None:
        self.outcomes.append(("retry", row.id))

    async def failed(self, row: Row, failure: DeliveryError) -> None:
        self.outcomes.append(("failed", row.id))

    async def dead(self, row: Row, failure: DeliveryError) -> None:
        self.outcomes.append(("dead", row.id))

    async def release(self, rows: Sequence[Row]) -> None:
        self.outcomes.extend(("released", row.id) for row in rows)


def test_the_default_policy_retries_for_hours_not_six_tries() -> None:
    policy = DeliverySettings().retry_policy()
    outage = DeliveryError("Twilio answered HTTP 503")
    # Forty seconds and twelve tries into an outage: still retried, the backoff capped.
    at = policy.next_attempt(
        outage, attempts=12, created_at=NOW, now=NOW + timedelta(seconds=40), rand=lambda: 0.5
    )
    assert at == NOW + timedelta(seconds=40 + 300)
    five_hours = NOW + timedelta(hours=5)
    assert policy.next_attempt(outage, attempts=80, created_at=NOW, now=five_hours) is not None
    past = NOW + timedelta(hours=6)
    assert policy.next_attempt(outage, attempts=90, created_at=NOW, now=past) is None


def test_windows_per_channel_come_from_the_settings() -> None:
    delivery = DeliverySettings(sms_retry_window_seconds=60.0, slack_retry_window_seconds=90.0)
    assert delivery.channel_policies()["sms"].retry_window_seconds == 60.0
    assert "email" not in delivery.channel_policies()  # the default window
    assert delivery.retry_policy().retry_window_seconds == 6 * 3600.0
    assert delivery.slack_policy().retry_window_seconds == 90.0


async def test_out_of_window_is_dead_refused_is_failed() -> None:
    old = NOW - timedelta(hours=7)
    queue = OneLaneQueue(
        [Row(1, window_start=old), Row(2)],
        {1: DeliveryError("503"), 2: DeliveryError("bad number", retryable=False)},
    )
    worker = QueueWorker(queue, DeliverySettings().retry_policy(), clock=lambda: NOW)  # type: ignore[arg-type]
    await worker.work_due()
    assert queue.outcomes == [("dead", 1), ("failed", 2)]


async def test_rows_behind_a_retried_row_go_back_untried() -> None:
    queue = OneLaneQueue([Row(1), Row(2), Row(3)], {1: DeliveryError("503")})
    worker = QueueWorker(queue, DeliverySettings().retry_policy(), clock=lambda: NOW)  # type: ignore[arg-type]
    await worker.work_due()
    assert queue.performed == [1]
    assert queue.outcomes == [("retry", 1), ("released", 2), ("released", 3)]


async def test_a_dead_send_is_announced_in_the_handoff_channel(database: Database) -> None:
    with database.transaction() as session:
        customer, identity = customers.resolve_identity(session, "sms", "+14155550101")
        conversation = history.current_conversation(
            session, customer_id=customer.id, identity_id=identity.id, channel="sms"
        )
        record = outbox.log_outbound(
            session, conversation, "+14155550101", NewInteraction("out", "bot", "hi")
        )
        row = outbox.outbox_for_interaction(session, record.id)
    assert row is not None
    woken: list[bool] = []
    alarm = SlackDeadAlarm(database, "C0HANDOFFS", lambda: woken.append(True))

    await alarm(row, "gave up after 40 tries: Twilio answered HTTP 503")

    with database.transaction() as session:
        (call,) = slack_store.calls(session)
    assert (call.method, call.purpose, call.status) == ("chat.postMessage", "dead_alert", "pending")
    assert call.arguments["channel"] == "C0HANDOFFS"
    assert f"outbox-{row.id}" in call.arguments["text"] and "HTTP 503" in call.arguments["text"]
    assert woken == [True]


async def test_the_alarm_survives_failure_hooks_and_a_queue_without_either_parks_rows(
    database: Database,
) -> None:
    """bot/wiring sets the outbox's alarm, then adds the handoff service's failure hook;
    adding a hook once put the alarm back to None (dead sends then went unannounced in
    Slack), and a queue with neither raised AttributeError after parking its row."""
    from bot.delivery.outbox_queue import OutboxQueue

    queue = OutboxQueue(database, {})
    assert queue.alarm is None

    async def alarm(row: object, error: str) -> None:
        return None

    queue.alarm = alarm  # type: ignore[assignment]
    queue.report_failures_to(lambda *args: _noop())
    assert queue.alarm is alarm


async def _noop() -> None:
    return None
