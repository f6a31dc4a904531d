"""The SMTP server down for ten minutes, then back: mail replies wait out the outage (a
retry window, not a count of tries), keep their order, and are sent once each.

The delivery worker runs on a clock the test moves (no waiting in real time) against a
real port: nothing listens there during the outage (connection refused, as a server that
is down answers), and then a real SMTP server (aiosmtpd) starts on it."""

from __future__ import annotations

from aiosmtpd.controller import Controller

from bot.delivery.worker import DeliveryWorker
from bot.settings import DeliverySettings, EmailSettings
from bot.wiring.email import smtp_sender
from channels.messages import Channel
from crm_store import Database, outbox
from tests.support.delivery_clock import Clock, queue_replies, run_for
from tests.support.mail_servers import SmtpRecorder
from tests.support.ports import free_port

CUSTOMER = "ada@example.com"
OUTAGE_SECONDS = 600.0  # ten minutes; the old budget of six tries gave up after ~31 s


async def test_replies_wait_out_ten_minutes_of_smtp_downtime_and_go_once_in_order(
    database: Database,
) -> None:
    port = free_port()
    email = EmailSettings(
        smtp_host="127.0.0.1",
        smtp_port=port,
        smtp_starttls=False,
        smtp_timeout_seconds=5,
        from_address="support@acme.test",
    )
    delivery = DeliverySettings()  # the defaults: 1 s doubling to 300 s, a six-hour window
    clock = Clock()
    worker = DeliveryWorker(
        database,
        {Channel.EMAIL: smtp_sender(email, database)},
        policy=delivery.retry_policy(),
        channel_policies=delivery.channel_policies(),
        lease_seconds=delivery.lease_seconds,
        clock=clock,
    )
    ids = queue_replies(
        database, ["First answer.", "Second answer."], channel="email", address=CUSTOMER
    )

    await run_for(worker, clock, OUTAGE_SECONDS, step=5.0)
    with database.transaction() as session:
        during = [outbox.get_outbox(session, outbox_id) for outbox_id in ids]
    assert all(row is not None and row.status == "pending" for row in during), during
    first = during[0]
    assert first is not None and first.attempts > 6  # past the old budget, still waiting
    assert "connect" in (first.last_error or "").lower() or first.last_error

    recorder = SmtpRecorder()
    controller = Controller(recorder, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        await run_for(worker, clock, 400.0, step=5.0)  # past the longest backoff (300 s)
    finally:
        controller.stop()

    plain = [m.get_body(preferencelist=("plain",)) for m in recorder.received]
    texts = [part.get_content() if part is not None else "" for part in plain]
    assert len(texts) == 2, texts  # each once
    assert "First answer." in texts[0] and "Second answer." in texts[1]  # in order
    with database.transaction() as session:
        after = [outbox.get_outbox(session, outbox_id) for outbox_id in ids]
    assert all(row is not None and row.status == "sent" for row in after), after
