"""The sender's batches, on both databases, through the twilio library to the Twilio
stand-in (a sender the provider can be asked about, so its sends are recorded together
at the end of each pass): every row and its logged message record the provider's id,
the statements per recipient stay a handful, and the frequency cap is counted within a
batch as if its rows had been checked one at a time."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Iterator

import pytest
from sqlalchemy import event, select

from channels.messages import Channel
from channels.sms.outbound import TwilioSender
from crm_store import Database, consents
from crm_store.base import utcnow
from crm_store.models import Account, CampaignSend, Customer, Interaction
from engagement.audience_fields import customers_fields
from tests.support.campaigns import OPEN_RULES, Shopper, campaign, schedule, send_all, shoppers
from tests.support.campaigns import worker as campaign_worker
from tests.support.fakes import RecordingSender
from tests.support.twilio_standin import TwilioStandIn

ACCOUNT = "AC" + "0123456789abcdef" * 2
BOTH = {
    "sms": {"body": "Hi {{ first_name }}, 10% off"},
    "email": {"subject": "Hello", "body": "Hi {{ first_name }}"},
}


IN_HAND = ("claimed", "sending")  # claimed by the worker; `sending`: mail being sent


@pytest.fixture
def twilio() -> Iterator[TwilioStandIn]:
    standin = TwilioStandIn().start()
    yield standin
    standin.stop()


def _sms(twilio: TwilioStandIn) -> TwilioSender:
    return TwilioSender(
        account_sid=ACCOUNT,
        auth_token="batches",
        from_number="+15005550006",
        messaging_service_sid=None,
        status_callback_url=None,
        api_base_url=twilio.url,
    )


async def test_a_batch_records_every_send_with_the_providers_id(
    database: Database, twilio: TwilioStandIn
) -> None:
    shoppers(database, [Shopper(name=f"Shopper {n}", phone=f"+1415555{n:04d}") for n in range(60)])
    found = campaign(database)
    schedule(database, found, OPEN_RULES, utcnow())
    scheduler, sender = campaign_worker(database, {Channel.SMS: _sms(twilio)})
    statements = []
    event.listen(database.engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    await send_all(scheduler, sender)

    sids = {post.form["To"]: post for post in twilio.accepted}
    assert len(sids) == len(twilio.accepted) == 60  # each once
    with database.transaction() as session:
        rows = session.execute(
            select(CampaignSend.state, CampaignSend.provider_message_id, Interaction)
            .join(Interaction, Interaction.id == CampaignSend.interaction_id)
            .where(CampaignSend.campaign_id == found.id)
        ).all()
    assert len(rows) == 60
    for state, sid, logged in rows:
        assert state == "sent" and sid and sid == logged.provider_message_id
        assert logged.delivery_status == "sent"
    # Claim 2, facts 7, logging about 8, note 1, record 3 per batch of 50, and the
    # scheduler's ticks: far from the 19 per recipient of one row at a time.
    assert len(statements) / 60 < 4, len(statements)


async def test_the_cap_counts_within_a_batch_as_one_row_at_a_time(database: Database) -> None:
    ids = shoppers(
        database,
        [
            Shopper(name="Both", phone="+14155550001", email="both@example.com"),
            Shopper(name="Email consent only", phone="+14155550002", email="e@example.com"),
        ],
    )
    with database.transaction() as session:  # the second withdrew marketing by SMS
        consents.record_consent(
            session,
            channel="sms",
            address="+14155550002",
            decision=consents.WITHDRAWN,
            means="sms_keyword",
            source="STOP",
        )
    found = campaign(database, content=BOTH)
    rules = dataclasses.replace(OPEN_RULES, frequency_cap=1)
    schedule(database, found, rules, utcnow())
    sms, email = RecordingSender(Channel.SMS), RecordingSender(Channel.EMAIL)
    scheduler, sender = campaign_worker(database, {Channel.SMS: sms, Channel.EMAIL: email}, rules)
    await send_all(scheduler, sender)

    with database.transaction() as session:
        ledger = {
            (row.customer_id, row.step): (row.state, row.reason)
            for row in session.scalars(
                select(CampaignSend).where(CampaignSend.campaign_id == found.id)
            )
        }
    # One message each: the first customer's later step (in ledger order) hits the cap;
    # the second's SMS was suppressed, so it does not count against their email.
    first = sorted([ledger[(ids[0], "email")], ledger[(ids[0], "sms")]])
    assert first == [("sent", None), ("suppressed", "frequency_cap")]
    assert ledger[(ids[1], "sms")] == ("suppressed", "sms_stop")
    assert ledger[(ids[1], "email")] == ("sent", None)


def test_a_batchs_customer_fields_name_their_account(database: Database) -> None:
    """Customers at a company: the batch reads their account's name with their fields
    (the query once failed for any batch with an account in it)."""
    with database.transaction() as session:
        acme = Account(name="Acme Corp")
        session.add(acme)
        session.flush()
        ada = Customer(name="Ada", account_id=acme.id, attributes={})
        solo = Customer(name="Grace", attributes={})
        session.add_all([ada, solo])
        session.flush()
        fields = customers_fields(session, [ada.id, solo.id])
    assert fields[ada.id].account_name == "Acme Corp"
    assert fields[solo.id].account_name is None


async def test_the_next_batch_is_claimed_while_this_ones_sends_are_in_flight(
    database: Database,
) -> None:
    shoppers(
        database,
        [Shopper(phone=f"+1415555{n:04d}", email=f"s{n}@example.com") for n in range(6)],
    )
    found = campaign(database, content=BOTH)
    schedule(database, found, OPEN_RULES, utcnow())
    held = asyncio.Event()
    sms = RecordingSender(Channel.SMS, block=held)
    email = RecordingSender(Channel.EMAIL, block=held)
    scheduler, sender = campaign_worker(database, {Channel.SMS: sms, Channel.EMAIL: email})
    sender._batch_size = 3  # so a customer's two steps straddle two batches
    scheduler.tick()
    backlog = asyncio.create_task(sender.work_backlog())

    def ledger() -> list[tuple[int, str]]:
        with database.transaction() as session:
            return [
                (row.customer_id, row.state)
                for row in session.scalars(
                    select(CampaignSend)
                    .where(CampaignSend.campaign_id == found.id)
                    .order_by(CampaignSend.id)
                )
            ]

    for _ in range(500):  # the first batch's provider calls are held open meanwhile
        if sum(state in IN_HAND for _, state in ledger()) == 6:
            break
        await asyncio.sleep(0.01)
    rows = ledger()
    assert not sms.sent and not email.sent
    # Two batches claimed, checked and logged while the first's calls are in flight...
    assert sum(state in IN_HAND for _, state in rows) == 6
    # ...and the second left out the customer whose first step is still in hand.
    assert rows[2][0] == rows[3][0] and rows[2][1] in IN_HAND and rows[3][1] == "queued"
    held.set()
    assert await backlog == 12
    assert sorted(m.address for m in sms.sent) == [f"+1415555{n:04d}" for n in range(6)]
    assert sorted(m.address for m in email.sent) == [f"s{n}@example.com" for n in range(6)]
    assert [state for _, state in ledger()] == ["sent"] * 12
