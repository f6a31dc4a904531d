"""A one-off campaign through the send ledger and the queue worker, on both databases:
each eligible customer gets each step once, the holdout nothing, and every other
customer is accounted for with the reason."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.channel_store.delivery_reports import DeliveryReports
from channels.messages import Channel
from crm_store import Database, consents
from crm_store.base import utcnow
from crm_store.campaigns import get_campaign
from crm_store.models import CampaignSend, Interaction
from engagement.campaign_actions import move_campaign
from engagement.errors import InvalidCampaign
from engagement.report import campaign_report
from engagement.rules import SMS_OPT_OUT_HINT
from tests.support.campaigns import (
    OPEN_RULES,
    Shopper,
    campaign,
    schedule,
    send_all,
    shoppers,
    worker,
)
from tests.support.fakes import RecordingSender


def _ledger(database: Database, campaign_id: int) -> dict[tuple[int, str], tuple[str, str | None]]:
    with database.transaction() as session:
        rows = session.scalars(select(CampaignSend).where(CampaignSend.campaign_id == campaign_id))
        return {(r.customer_id, r.step): (r.state, r.reason) for r in rows}


async def test_sms_and_email_once_each_holdout_none_and_every_exclusion_explained(
    database: Database,
) -> None:
    people = [
        Shopper(name=f"Shopper {n}", phone=f"+1415555{n:04d}", email=f"s{n}@example.com")
        for n in range(40)
    ]
    people.append(Shopper(name="No consent", phone="+14155559990", consent=False))
    people.append(Shopper(name="Email only", email="only@example.com"))
    ids = shoppers(database, people)
    found = campaign(
        database,
        content={
            "sms": {"body": "Hi {{ first_name }}, 10% off this week"},
            "email": {"subject": "We miss you, {{ first_name }}", "body": "Hi {{ first_name }}"},
        },
        holdout_share=0.2,
    )
    now = utcnow()
    schedule(database, found, OPEN_RULES, now)
    sms, email = RecordingSender(Channel.SMS), RecordingSender(Channel.EMAIL)
    scheduler, sender = worker(
        database,
        {Channel.SMS: sms, Channel.EMAIL: email},
        unsubscribe_url=lambda a, i: f"https://x/u?{i}",
    )
    await send_all(scheduler, sender)

    ledger = _ledger(database, found.id)
    assert len(ledger) == 2 * len(ids)  # one row per customer and step: everyone is there
    held = {c for (c, _), (state, reason) in ledger.items() if reason == "holdout"}
    assert 0 < len(held) < len(ids)
    got_sms = [m.address for m in sms.sent]
    assert len(got_sms) == len(set(got_sms))  # nobody twice
    sent_rows = {k for k, (state, _) in ledger.items() if state == "sent"}
    assert {c for c, step in sent_rows if step == "sms"}.isdisjoint(held)
    assert len(sms.sent) == len([k for k in sent_rows if k[1] == "sms"])
    assert len(email.sent) == len([k for k in sent_rows if k[1] == "email"])
    no_consent, email_only = ids[-2], ids[-1]
    if no_consent not in held:
        assert ledger[(no_consent, "sms")] == ("suppressed", "no_consent")
        assert ledger[(no_consent, "email")] == ("suppressed", "no_address")
    if email_only not in held:
        assert ledger[(email_only, "sms")] == ("suppressed", "no_address")
        assert ledger[(email_only, "email")][0] == "sent"
    # The first marketing SMS to a number carries the opt-out hint; mail its own subject
    # and the single-use unsubscribe link.
    assert all(m.text.endswith(SMS_OPT_OUT_HINT) for m in sms.sent)
    assert all(m.attributes["subject"].startswith("We miss you, ") for m in email.sent)
    assert all(m.attributes["unsubscribe_url"].startswith("https://x/u?") for m in email.sent)
    with database.transaction() as session:
        report = campaign_report(session, get_campaign(session, found.id))
        logged = session.scalars(
            select(Interaction.delivery_status).where(Interaction.direction == "out")
        ).all()
    assert report["status"] == "done"
    assert report["steps"]["sms"]["sent"] == len(sms.sent)
    assert report["steps"]["sms"]["suppressed"]["holdout"] == len(held)
    assert report["conversions"]["holdout"]["customers"] == len(held)
    assert len(logged) == len(sms.sent) + len(email.sent)  # in the history, as sent
    assert set(logged) == {"sent"}
    # Twilio's status callback finds a campaign SMS by its Sid (it has no outbox row).
    reports = DeliveryReports(database)
    assert await reports.report(Channel.SMS, "prov-1", "delivered") is True
    assert await reports.report(Channel.SMS, "prov-unknown", "delivered") is None
    with database.transaction() as session:
        report = campaign_report(session, get_campaign(session, found.id))
    assert report["steps"]["sms"]["delivered"] == 1


async def test_a_channel_without_provider_fails_only_the_eligible_and_logs_nothing(
    database: Database,
) -> None:
    """Scheduled while email was set up, sent after it was taken away: a customer the
    rules exclude keeps that reason; the eligible fail as `provider` with no message
    written into their history, since none went out."""
    ids = shoppers(
        database,
        [
            Shopper(name="Agreed", email="yes@example.com"),
            Shopper(name="Never agreed", email="no@example.com", consent=False),
        ],
    )
    found = campaign(database, content={"email": {"subject": "Hi", "body": "Hi"}})
    schedule(database, found, OPEN_RULES, utcnow())
    scheduler, sender = worker(database, {Channel.SMS: RecordingSender(Channel.SMS)})
    await send_all(scheduler, sender)
    ledger = _ledger(database, found.id)
    assert ledger[(ids[0], "email")] == ("failed", "provider")
    assert ledger[(ids[1], "email")] == ("suppressed", "no_consent")
    with database.transaction() as session:
        assert (
            session.scalars(select(Interaction).where(Interaction.direction == "out")).all() == []
        )


async def test_consent_withdrawn_between_enqueue_and_send_is_honoured(database: Database) -> None:
    ids = shoppers(database, [Shopper(phone="+14155550201"), Shopper(phone="+14155550202")])
    found = campaign(database)
    schedule(database, found, OPEN_RULES, utcnow())
    sms = RecordingSender(Channel.SMS)
    scheduler, sender = worker(database, {Channel.SMS: sms})
    scheduler.tick()  # frozen and queued
    with database.transaction() as session:  # the second customer texts STOP
        consents.record_consent(
            session,
            channel="sms",
            address="+14155550202",
            decision=consents.WITHDRAWN,
            means="sms_keyword",
            source="STOP",
        )
    await send_all(scheduler, sender)
    assert [m.address for m in sms.sent] == ["+14155550201"]
    assert _ledger(database, found.id)[(ids[1], "sms")] == ("suppressed", "sms_stop")


async def test_frequency_cap_counts_across_campaigns(database: Database) -> None:
    shoppers(database, [Shopper(phone="+14155550301")])
    rules = OPEN_RULES.__class__(
        quiet_hours=OPEN_RULES.quiet_hours, frequency_cap=2, frequency_window=timedelta(days=7)
    )
    sms = RecordingSender(Channel.SMS)
    scheduler, sender = worker(database, {Channel.SMS: sms}, rules)
    reasons = []
    for n in range(3):
        found = campaign(database, name=f"Offer {n}")
        schedule(database, found, rules, utcnow())
        await send_all(scheduler, sender)
        reasons.append(next(iter(_ledger(database, found.id).values())))
    assert reasons == [("sent", None), ("sent", None), ("suppressed", "frequency_cap")]
    assert len(sms.sent) == 2
    # Service messages (a pickup reminder) are not marketing: no cap.
    found = campaign(database, name="Pickup", purpose="service")
    schedule(database, found, rules, utcnow())
    await send_all(scheduler, sender)
    assert len(sms.sent) == 3


async def test_the_cap_keeps_a_customers_first_step_and_holds_back_the_later_one(
    database: Database,
) -> None:
    """One message allowed, two steps claimed together: the first step is sent and the
    second capped, as the preview says (the second, claimed with it, must not count
    against the first before it is decided)."""
    shoppers(database, [Shopper(phone="+14155550302", email="cap@example.com")])
    rules = OPEN_RULES.__class__(
        quiet_hours=OPEN_RULES.quiet_hours, frequency_cap=1, frequency_window=timedelta(days=7)
    )
    found = campaign(
        database,
        content={"sms": {"body": "Hi"}, "email": {"subject": "Hi", "body": "Hi"}},
    )
    schedule(database, found, rules, utcnow())
    sms, email = RecordingSender(Channel.SMS), RecordingSender(Channel.EMAIL)
    scheduler, sender = worker(database, {Channel.SMS: sms, Channel.EMAIL: email}, rules)
    await send_all(scheduler, sender)
    assert sorted(_ledger(database, found.id).values()) == [
        ("sent", None),
        ("suppressed", "frequency_cap"),
    ]
    assert len(sms.sent) + len(email.sent) == 1
    steps = {step: state for (_, step), (state, _) in _ledger(database, found.id).items()}
    assert steps[found.steps[0]] == "sent"


async def test_pause_holds_resume_goes_on_cancel_suppresses_the_rest(database: Database) -> None:
    shoppers(database, [Shopper(phone=f"+1415555{n:04d}") for n in range(400, 410)])
    found = campaign(database)
    schedule(database, found, OPEN_RULES, utcnow())
    sms = RecordingSender(Channel.SMS)
    scheduler, sender = worker(database, {Channel.SMS: sms})
    sender._batch_size = 3
    scheduler.tick()
    await sender.work_due()
    assert len(sms.sent) == 3
    with database.transaction() as session:
        move_campaign(session, get_campaign(session, found.id), "pause", now=utcnow())
    assert await sender.work_due() == 0
    with database.transaction() as session:
        move_campaign(session, get_campaign(session, found.id), "resume", now=utcnow())
    await sender.work_due()
    assert len(sms.sent) == 6
    with database.transaction() as session:
        move_campaign(session, get_campaign(session, found.id), "cancel", now=utcnow())
    await send_all(scheduler, sender)
    states = sorted(_ledger(database, found.id).values(), key=str)
    assert states.count(("sent", None)) == 6
    assert states.count(("suppressed", "cancelled")) == 4
    assert len({m.address for m in sms.sent}) == 6


async def test_a_run_past_its_deadline_stops_and_reports_what_was_not_sent(
    database: Database,
) -> None:
    shoppers(database, [Shopper(phone=f"+1415555{n:04d}") for n in range(500, 505)])
    start = utcnow()
    found = campaign(database)
    schedule(database, found, OPEN_RULES, start, deadline=start + timedelta(hours=1))
    clock = [start]
    sms = RecordingSender(Channel.SMS)
    scheduler, sender = worker(database, {Channel.SMS: sms}, clock=lambda: clock[0])
    scheduler.tick()
    clock[0] = start + timedelta(hours=2)  # an outage: the worker comes back too late
    await send_all(scheduler, sender)
    assert sms.sent == []
    with database.transaction() as session:
        report = campaign_report(session, get_campaign(session, found.id))
    assert report["steps"]["sms"]["suppressed"] == {"deadline": 5}
    assert report["status"] == "done"


def test_a_missing_field_fails_at_schedule_not_at_send(database: Database) -> None:
    ids = shoppers(database, [Shopper(name=None, phone="+14155550601")])
    found = campaign(database, content={"sms": {"body": "Hi {{ first_name }}"}})
    with pytest.raises(InvalidCampaign) as refused:
        schedule(database, found, OPEN_RULES, utcnow())
    assert refused.value.problems == [
        {
            "customer_id": ids[0],
            "step": "sms",
            "error": "content.sms.body: 'first_name' is undefined",
        }
    ]
