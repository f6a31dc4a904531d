"""Web chat as a campaign channel, on both databases: the message is written into the
customer's widget conversation (what the widget reads on its next visit), recorded
sent right then, and an open widget is woken; a marketing opt-out on the widget is
honoured, while no prior opt-in is needed (engagement/rules.py)."""

from __future__ import annotations

from dataclasses import replace
from datetime import time

from sqlalchemy import select

from channels.messages import Channel
from channels.web.hub import SessionHub
from channels.web.outbound import WebChatSender
from crm_store import Database, consents, history
from crm_store.base import utcnow
from crm_store.models import CampaignSend, Identity
from engagement.preview import preview_campaign
from engagement.report import campaign_report
from engagement.time_zones import QuietHours
from tests.support.campaigns import (
    OPEN_RULES,
    Shopper,
    campaign,
    schedule,
    send_all,
    shoppers,
    worker,
)


def _widget(database: Database, customer_id: int, session_id: str) -> None:
    with database.transaction() as session:
        session.add(Identity(customer_id=customer_id, channel="web", address=session_id))


async def test_a_web_message_lands_in_the_conversation_is_sent_and_wakes_the_widget(
    database: Database,
) -> None:
    visitor, away, opted_out, no_widget = shoppers(
        database, [Shopper(consent=False), Shopper(consent=False), Shopper(), Shopper()]
    )
    _widget(database, visitor, "ws-visitor")
    _widget(database, away, "ws-away")
    _widget(database, opted_out, "ws-out")
    with database.transaction() as session:
        consents.record_consent(
            session,
            channel="web",
            address="ws-out",
            decision=consents.WITHDRAWN,
            means="widget",
            source="test",
            purposes=(consents.MARKETING,),
            customer_id=opted_out,
        )
    found = campaign(
        database,
        name="Spring sale",
        content={"web": {"body": "Hi {{ first_name }}, our spring sale starts today"}},
    )
    # Quiet hours all day long: they hold SMS and email, not a message in the widget.
    rules = replace(OPEN_RULES, quiet_hours=QuietHours(starts=time(0, 0), ends=time(23, 59)))
    schedule(database, found, rules, utcnow())
    hub = SessionHub()
    open_widget = hub.subscribe("ws-visitor")
    scheduler, sender = worker(database, {Channel.WEB: WebChatSender(hub)}, rules)
    await send_all(scheduler, sender)

    with database.transaction() as session:
        ledger = {
            r.customer_id: (r.state, r.reason)
            for r in session.scalars(
                select(CampaignSend).where(CampaignSend.campaign_id == found.id)
            )
        }
        identity = session.scalars(select(Identity).where(Identity.address == "ws-away")).one()
        conversation = history.latest_conversation_of_identity(session, identity.id)
        assert conversation is not None
        shown = history.messages_after(session, conversation.id, 0)
    assert ledger == {
        visitor: ("sent", None),
        away: ("sent", None),
        opted_out: ("suppressed", "opted_out"),
        no_widget: ("suppressed", "no_address"),
    }
    # The away visitor's widget reads it on the next visit: it is in their conversation.
    assert [(m.author, m.text, m.delivery_status) for m in shown] == [
        ("system", "Hi Ada, our spring sale starts today", "sent")
    ]
    assert not open_widget.empty()  # the open widget was told to read the store
    # No provider reports a web message's delivery: the report says so (null), where
    # it said "delivered: 0" beside "sent: 2".
    with database.transaction() as session:
        web = campaign_report(session, found)["steps"]["web"]
    assert (web["sent"], web["delivered"], web["sms_segments"]) == (2, None, None)


def test_the_preview_says_why_a_customer_cannot_be_reached_in_the_widget(
    database: Database,
) -> None:
    """A web chat "address" is a widget identity: the reason says what is missing in
    the marketer's words (it said "no web address on file")."""
    (no_widget,) = shoppers(database, [Shopper(phone="+14155550123")])
    found = campaign(database, name="Hello", content={"web": {"body": "Hello"}})
    with database.transaction() as session:
        dry = preview_campaign(session, found, OPEN_RULES, now=utcnow())
    (row,) = dry["rows"]
    assert (row["customer_id"], row["reason"]) == (no_widget, "no_address")
    assert row["detail"] == "has never chatted on the website widget"
