"""A campaign's conversions are counted over `conversion_days` from its start: the
report says when that window ends and whether it is still open, so a lift of 0 read
the day after the send is seen as the count so far."""

from __future__ import annotations

from datetime import timedelta

from channels.messages import Channel
from crm_store import Database
from crm_store.base import utcnow
from crm_store.campaigns import get_campaign
from engagement.report import campaign_report
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


async def test_the_report_says_when_the_conversion_window_ends(database: Database) -> None:
    shoppers(database, [Shopper(phone="+14155550901", orders=1, last_order_days_ago=100)])
    found = campaign(database, content={"sms": {"body": "15% off"}}, conversion_days=14)
    with database.transaction() as session:
        draft = campaign_report(session, found)
    assert "conversion_window_ends" not in draft  # not started: no window yet
    schedule(database, found, OPEN_RULES, utcnow())
    scheduler, sender = worker(database, {Channel.SMS: RecordingSender(Channel.SMS)})
    await send_all(scheduler, sender)

    with database.transaction() as session:
        started = get_campaign(session, found.id)
        assert started is not None and started.started_at is not None
        ends = started.started_at + timedelta(days=14)
        today = campaign_report(session, started)
        later = campaign_report(session, started, now=ends + timedelta(seconds=1))
    assert today["conversion_window_ends"] == ends.isoformat()
    assert today["conversion_window_open"] is True
    assert later["conversion_window_open"] is False
