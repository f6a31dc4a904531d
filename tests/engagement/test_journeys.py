"""Journeys through the scheduler's passes and the send ledger, on both databases: an
event enrols once per occurrence, each step is sent once per enrolment, waits and
branches hold, a reply stops the rest, date triggers enrol once per date, and segment
triggers once per entry (again after leaving, once the last entry is old enough)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from channels.messages import Channel
from crm_store import Database, history, orders
from crm_store.base import utcnow
from crm_store.models import CampaignSend, Customer, JourneyEnrolment
from crm_store.records import NewInteraction
from engagement.campaign_actions import move_campaign
from engagement.report import campaign_report
from tests.support.campaigns import (
    OPEN_RULES,
    Shopper,
    journey,
    schedule,
    send_all,
    shoppers,
    worker,
)
from tests.support.fakes import RecordingSender

AFTER_DELIVERY: dict[str, Any] = {
    "trigger": {"event": "order.delivered"},
    "steps": [
        {"name": "thanks", "send": "sms", "body": "Hi {{ first_name }}, enjoy your order"},
        {"name": "pause", "wait": {"days": 3}},
        {
            "name": "bought-again",
            "branch": {"when": {"field": "order_count", "op": "gte", "value": 3}, "then": "stop"},
        },
        {"name": "review", "send": "email", "subject": "How was it?", "body": "Tell us"},
    ],
    "stop_when": ["replied"],
}


class Clock:
    def __init__(self) -> None:
        self.now = utcnow()

    def __call__(self) -> datetime:
        return self.now


def _ledger(
    database: Database, campaign_id: int
) -> list[tuple[int, int | None, str, str, str | None]]:
    with database.transaction() as session:
        rows = session.scalars(
            select(CampaignSend)
            .where(CampaignSend.campaign_id == campaign_id)
            .order_by(CampaignSend.id)
        )
        return [(r.customer_id, r.enrolment_id, r.step, r.state, r.reason) for r in rows]


def _enrolments(database: Database, campaign_id: int) -> list[tuple[int, str, str, str | None]]:
    with database.transaction() as session:
        rows = session.scalars(
            select(JourneyEnrolment)
            .where(JourneyEnrolment.campaign_id == campaign_id)
            .order_by(JourneyEnrolment.id)
        )
        return [(r.customer_id, r.occurrence, r.state, r.reason) for r in rows]


def _deliver(database: Database, customer_id: int, number: str) -> None:
    with database.transaction() as session:
        orders.record_order(session, customer_id=customer_id, number=number, total_cents=1000)
        orders.change_order_status(session, number, "delivered")


async def test_each_delivery_enrols_once_and_each_step_is_sent_once_per_enrolment(
    database: Database,
) -> None:
    ada, bob, old = shoppers(
        database,
        [
            Shopper(name="Ada L", phone="+14155550001", email="ada@example.com"),
            Shopper(name="Bob K", phone="+14155550002", email="bob@example.com"),
            Shopper(name="Old Buyer", phone="+14155550003", email="old@example.com"),
        ],
    )
    _deliver(database, old, "OLD-1")  # before the journey went live: history, not a trigger
    clock = Clock()
    found = journey(database, **AFTER_DELIVERY)
    schedule(database, found, OPEN_RULES, clock.now)
    sms, email = RecordingSender(Channel.SMS), RecordingSender(Channel.EMAIL)
    scheduler, sender = worker(database, {Channel.SMS: sms, Channel.EMAIL: email}, clock=clock)
    await send_all(scheduler, sender)  # goes live

    _deliver(database, ada, "A-1")
    _deliver(database, ada, "A-2")  # a second delivery: a second enrolment
    _deliver(database, bob, "B-1")
    await send_all(scheduler, sender)
    await send_all(scheduler, sender)  # another pass finds nothing new
    assert sorted(m.address for m in sms.sent) == ["+14155550001", "+14155550001", "+14155550002"]
    assert all(
        m.text.startswith("Hi Ada, enjoy your order") for m in sms.sent if m.address.endswith("1")
    )
    assert email.sent == []  # waiting three days
    assert {c for c, *_ in _enrolments(database, found.id)} == {ada, bob}

    clock.now += timedelta(days=3, minutes=1)
    await send_all(scheduler, sender)
    # Ada has 2 orders (< 3): both her enrolments and Bob's go on to the review mail.
    assert sorted(m.address for m in email.sent) == [
        "ada@example.com",
        "ada@example.com",
        "bob@example.com",
    ]
    ledger = _ledger(database, found.id)
    assert len(ledger) == 6 and all(state == "sent" for _, _, _, state, _ in ledger)
    assert len({(e, step) for _, e, step, _, _ in ledger}) == 6  # one row per enrolment and step
    assert [state for _, _, state, _ in _enrolments(database, found.id)] == ["ended"] * 3
    with database.transaction() as session:
        report = campaign_report(session, found)
    assert report["steps"]["thanks"]["sent"] == 3
    # Each step is reported by its channel, not its name: "thanks" is an SMS (its
    # segments were null, as for any step not named "sms"); email reports no delivery.
    thanks, review = report["steps"]["thanks"], report["steps"]["review"]
    assert thanks["sms_segments"] is not None and thanks["delivered"] == 0
    assert review["sms_segments"] is None and review["delivered"] is None


async def test_a_reply_stops_the_journey_and_a_branch_can_end_it(database: Database) -> None:
    ada, bob = shoppers(
        database,
        [
            Shopper(name="Ada L", phone="+14155550011", email="ada@example.com"),
            Shopper(name="Bob K", phone="+14155550012", email="bob@example.com", orders=5),
        ],
    )
    clock = Clock()
    found = journey(database, **AFTER_DELIVERY)
    schedule(database, found, OPEN_RULES, clock.now)
    sms, email = RecordingSender(Channel.SMS), RecordingSender(Channel.EMAIL)
    scheduler, sender = worker(database, {Channel.SMS: sms, Channel.EMAIL: email}, clock=clock)
    await send_all(scheduler, sender)
    _deliver(database, ada, "A-9")
    _deliver(database, bob, "B-9")
    await send_all(scheduler, sender)
    assert len(sms.sent) == 2

    with database.transaction() as session:  # Ada answers the SMS
        interaction_id = session.scalar(
            select(CampaignSend.interaction_id).where(CampaignSend.customer_id == ada)
        )
        logged = history.get_interaction(session, interaction_id)
        record = history.get_conversation(session, logged.conversation_id)
        assert record is not None
        history.append(session, record, NewInteraction("in", "customer", "Loved it, thanks"))
    clock.now += timedelta(days=4)
    await send_all(scheduler, sender)
    assert email.sent == []
    assert sorted(
        (c, state, reason) for c, _, state, reason in _enrolments(database, found.id)
    ) == sorted([(ada, "ended", "replied"), (bob, "ended", "stopped")])


async def test_a_date_attribute_enrols_once_per_date_inside_its_window(database: Database) -> None:
    today = utcnow().date()
    soon, later, past = shoppers(
        database,
        [
            Shopper(
                phone="+14155550021",
                attributes={"renewal_date": (today + timedelta(days=5)).isoformat()},
            ),
            Shopper(
                phone="+14155550022",
                attributes={"renewal_date": (today + timedelta(days=20)).isoformat()},
            ),
            Shopper(phone="+14155550023", attributes={"renewal_date": "not a date"}),
        ],
    )
    clock = Clock()
    found = journey(
        database,
        name="Renewal",
        purpose="service",  # a reminder of the customer's own plan, not an offer
        trigger={"date": "renewal_date", "days_before": 7},
        steps=[
            {
                "name": "remind",
                "send": "sms",
                "body": "Your plan renews on {{ attributes.renewal_date }}",
            }
        ],
    )
    schedule(database, found, OPEN_RULES, clock.now)
    sms = RecordingSender(Channel.SMS)
    scheduler, sender = worker(database, {Channel.SMS: sms}, clock=clock)
    await send_all(scheduler, sender)
    clock.now += timedelta(minutes=30)  # past the date pass's interval
    await send_all(scheduler, sender)
    assert [(c, occ) for c, occ, _, _ in _enrolments(database, found.id)] == [
        (soon, f"date:{(today + timedelta(days=5)).isoformat()}")
    ]
    assert [m.text for m in sms.sent] == [
        f"Your plan renews on {(today + timedelta(days=5)).isoformat()}"
    ]
    assert later not in {c for c, *_ in _enrolments(database, found.id)} and past != soon


async def test_entering_a_segment_enrols_once_and_cancel_ends_the_rest(database: Database) -> None:
    _first, second = shoppers(
        database,
        [Shopper(phone="+14155550031", orders=2), Shopper(phone="+14155550032", orders=1)],
    )
    clock = Clock()
    found = journey(
        database,
        name="Loyal",
        filter={"field": "order_count", "op": "gte", "value": 2},
        trigger={"entered_segment": True},
        steps=[
            {"name": "hello", "send": "sms", "body": "Thanks for coming back"},
            {"name": "later", "wait": {"days": 1}},
            {"name": "offer", "send": "sms", "body": "An offer"},
        ],
        holdout_share=0.0,
    )
    schedule(database, found, OPEN_RULES, clock.now)
    sms = RecordingSender(Channel.SMS)
    scheduler, sender = worker(database, {Channel.SMS: sms}, clock=clock)
    await send_all(scheduler, sender)
    with database.transaction() as session:
        orders.record_order(session, customer_id=second, number="S-2", total_cents=100)
    clock.now += timedelta(minutes=1)
    await send_all(scheduler, sender)
    await send_all(scheduler, sender)
    assert sorted(m.address for m in sms.sent) == ["+14155550031", "+14155550032"]
    with database.transaction() as session:
        from crm_store.campaigns import get_campaign

        live = get_campaign(session, found.id)
        assert live is not None and live.status == "sending"  # a journey is never "done"
        move_campaign(session, live, "cancel", now=clock.now)
    assert {(state, reason) for _, _, state, reason in _enrolments(database, found.id)} == {
        ("ended", "cancelled")
    }


def test_two_step_runners_at_once_advance_each_enrolment_once(postgres_url: str) -> None:
    """Two schedulers overlapping (a lease handed over): SKIP LOCKED gives each due
    enrolment to one of them, and the ledger has one row per enrolment and step."""
    from concurrent.futures import ThreadPoolExecutor
    from threading import Barrier

    from crm_store.campaigns import get_campaign
    from crm_store.migrate import upgrade
    from engagement.journey_steps import advance_due
    from engagement.journey_triggers import enrol_new
    from engagement.sends import start_send

    upgrade(postgres_url)
    database = Database(postgres_url)
    try:
        ids = shoppers(database, [Shopper(phone=f"+1415556{n:04d}") for n in range(20)])
        now = utcnow()
        found = journey(
            database,
            name="Welcome",
            trigger={"entered_segment": True},
            steps=[
                {"name": "hi", "send": "sms", "body": "Welcome"},
                {"name": "later", "wait": {"days": 1}},
                {"name": "tips", "send": "sms", "body": "Tips"},
            ],
        )
        schedule(database, found, OPEN_RULES, now)
        with database.transaction() as session:
            start_send(session, found.id, holdout_salt="s", now=now)
            live = get_campaign(session, found.id)
            assert live is not None
            assert enrol_new(session, live, salt="s", now=now) == len(ids)
        barrier = Barrier(2)

        def runner() -> dict[str, int]:
            with database.transaction() as session:
                barrier.wait()
                return advance_due(session, now=now, limit=len(ids))

        with ThreadPoolExecutor(2) as pool:
            results = list(pool.map(lambda _: runner(), range(2)))
        assert sum(r["waiting"] for r in results if "waiting" in r) == len(ids)
        rows = _ledger(database, found.id)
        assert len(rows) == len(ids) and {step for _, _, step, _, _ in rows} == {"hi"}
    finally:
        database.dispose()


async def _tag_and_pass(
    database: Database,
    customer_id: int,
    tagged: bool,
    clock: Clock,
    later: timedelta,
    scheduler: Any,
    sender: Any,
) -> None:
    """Tag the customer `at-risk` (or not), move the clock on, run the passes."""
    with database.transaction() as session:
        customer = session.get(Customer, customer_id)
        assert customer is not None
        customer.attributes = {"tags": ["at-risk"] if tagged else []}
    clock.now += later
    await send_all(scheduler, sender)


async def test_coming_back_to_a_segment_enrols_again_once_the_last_entry_is_old_enough(
    database: Database,
) -> None:
    (lapsing,) = shoppers(database, [Shopper(phone="+14155550041", attributes={"tags": []})])
    clock = Clock()
    found = journey(
        database,
        name="At risk",
        filter={"field": "tag", "op": "has", "value": "at-risk"},
        trigger={"entered_segment": True},  # again after 30 days, the default
        steps=[{"name": "nudge", "send": "sms", "body": "We miss you"}],
    )
    schedule(database, found, OPEN_RULES, clock.now)
    sms = RecordingSender(Channel.SMS)
    scheduler, sender = worker(database, {Channel.SMS: sms}, clock=clock)

    async def at_risk(tagged: bool, later: timedelta) -> None:
        await _tag_and_pass(database, lapsing, tagged, clock, later, scheduler, sender)

    await at_risk(True, timedelta(minutes=1))  # enters: the nudge
    await at_risk(False, timedelta(hours=2))  # the same day it leaves...
    await at_risk(True, timedelta(hours=2))  # ...and flaps back: nothing new
    await at_risk(True, timedelta(days=60))  # stays in for two months: nothing new
    assert len(sms.sent) == 1
    await at_risk(False, timedelta(days=100))  # leaves, and lapses again later
    await at_risk(True, timedelta(days=200))
    await at_risk(True, timedelta(minutes=5))  # a second pass enrols no one twice
    await at_risk(False, timedelta(hours=1))  # same-day flapping after the re-entry
    await at_risk(True, timedelta(hours=1))
    assert len(sms.sent) == 2
    with database.transaction() as session:
        entries = session.execute(
            select(JourneyEnrolment.id, JourneyEnrolment.customer_id, JourneyEnrolment.occurrence)
            .where(JourneyEnrolment.campaign_id == found.id)
            .order_by(JourneyEnrolment.id)
        ).all()
    assert [(c, occurrence) for _, c, occurrence in entries] == [
        (lapsing, "segment"),
        (lapsing, f"segment:again:{entries[0][0]}"),  # unique: two passes enrol once
    ]


async def test_a_customer_still_walking_the_journey_is_not_enrolled_again(
    database: Database,
) -> None:
    (lapsing,) = shoppers(database, [Shopper(phone="+14155550042", attributes={"tags": []})])
    clock = Clock()
    found = journey(
        database,
        name="Slow",
        filter={"field": "tag", "op": "has", "value": "at-risk"},
        trigger={"entered_segment": True, "again_after_days": 7},
        steps=[
            {"name": "nudge", "send": "sms", "body": "We miss you"},
            {"name": "month", "wait": {"days": 30}},
            {"name": "again", "send": "sms", "body": "Still there?"},
        ],
    )
    schedule(database, found, OPEN_RULES, clock.now)
    sms = RecordingSender(Channel.SMS)
    scheduler, sender = worker(database, {Channel.SMS: sms}, clock=clock)

    async def at_risk(tagged: bool, later: timedelta) -> None:
        await _tag_and_pass(database, lapsing, tagged, clock, later, scheduler, sender)

    await at_risk(True, timedelta(minutes=1))
    await at_risk(False, timedelta(days=8))
    await at_risk(True, timedelta(days=2))  # old enough, but the first walk goes on
    assert [occurrence for _, occurrence, _, _ in _enrolments(database, found.id)] == ["segment"]
    await at_risk(True, timedelta(days=25))  # the walk ends (its second send); still in
    await at_risk(False, timedelta(days=1))
    await at_risk(True, timedelta(days=1))  # left and came back after it ended
    assert [m.text.splitlines()[0] for m in sms.sent] == [  # (the first has the STOP hint)
        "We miss you",
        "Still there?",
        "We miss you",
    ]
