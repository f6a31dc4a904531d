"""A welcome journey through the real scheduler and sender loops (SQLite; the
PostgreSQL paths are in test_journeys.py): a new web chat visitor becomes a customer
(`customer.created`), the scheduler's pass enrols them and runs the first step, and
the sender writes the welcome into their widget conversation, recorded sent."""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlalchemy import select

from bot.delivery.campaign_scheduler import CampaignScheduler
from channels.messages import Channel
from channels.web.hub import SessionHub
from channels.web.outbound import WebChatSender
from crm_store import Database, customers, history, upgrade
from crm_store.base import utcnow
from crm_store.models import CampaignSend, JourneyEnrolment
from tests.support.campaigns import OPEN_RULES, journey, schedule, worker


async def test_a_new_visitor_is_welcomed_in_the_widget_by_the_running_scheduler(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    upgrade(url)
    database = Database(url)
    found = journey(
        database,
        name="Welcome",
        purpose="service",
        trigger={"event": "customer.created"},
        steps=[{"name": "welcome", "send": "web", "body": "Welcome! Ask us anything here."}],
    )
    schedule(database, found, OPEN_RULES, utcnow())
    hub = SessionHub()
    _, sender = worker(database, {Channel.WEB: WebChatSender(hub)})
    scheduler = CampaignScheduler(
        database, holdout_salt="welcome", poll_interval_seconds=0.05, started=sender.wake
    )
    loops = [asyncio.create_task(scheduler.run()), asyncio.create_task(sender.run())]
    try:
        await asyncio.sleep(0.2)  # live before the visitor arrives
        with database.transaction() as session:
            visitor, identity = customers.resolve_identity(session, "web", "ws-new-visitor")
        widget = hub.subscribe("ws-new-visitor")
        for _ in range(200):
            with database.transaction() as session:
                state = session.scalar(
                    select(CampaignSend.state).where(CampaignSend.customer_id == visitor.id)
                )
            if state == "sent" and not widget.empty():  # written, then the widget woken
                break
            await asyncio.sleep(0.05)
        assert state == "sent"
        with database.transaction() as session:
            conversation = history.latest_conversation_of_identity(session, identity.id)
            assert conversation is not None
            shown = [m.text for m in history.messages_after(session, conversation.id, 0)]
            enrolment = session.scalars(select(JourneyEnrolment)).one()
        assert shown == ["Welcome! Ask us anything here."]
        assert (enrolment.occurrence.startswith("event:"), enrolment.reason) == (True, "completed")
        assert not widget.empty()
    finally:
        await scheduler.stop(1)
        await sender.stop(1)
        await asyncio.gather(*loops, return_exceptions=True)
        database.dispose()
