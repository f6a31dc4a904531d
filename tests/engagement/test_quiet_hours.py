"""Quiet hours in the customer's own time zone, across zones and DST changes."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from channels.messages import Channel
from crm_store import Database
from crm_store.models import CampaignSend
from engagement.rules import EngagementRules
from engagement.time_zones import QuietHours, customer_zone
from tests.support.campaigns import Shopper, campaign, schedule, send_all, shoppers, worker
from tests.support.fakes import RecordingSender

QUIET = QuietHours(starts=time(21, 0), ends=time(8, 0))
UTC_ZONE = ZoneInfo("UTC")


def test_the_zone_comes_from_the_setting_the_phone_the_address_then_the_company() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    assert customer_zone({"time_zone": "Asia/Tokyo"}, "+4930123456", berlin) == (
        ZoneInfo("Asia/Tokyo"),
        "setting",
    )
    assert customer_zone({}, "+4930123456", UTC_ZONE) == (berlin, "phone")
    assert customer_zone({}, "+12125550100", UTC_ZONE)[0] == ZoneInfo("America/New_York")
    assert customer_zone({"address": {"country": "JP"}}, None, UTC_ZONE) == (
        ZoneInfo("Asia/Tokyo"),
        "address",
    )
    assert customer_zone({"time_zone": "Mars/Olympus"}, None, berlin) == (berlin, "company")


def test_due_at_23_local_waits_until_08_local() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    at_23 = datetime(2026, 1, 14, 23, 0, tzinfo=berlin)
    assert QUIET.opens_at(at_23, berlin) == datetime(2026, 1, 15, 7, 0, tzinfo=UTC)
    after_midnight = datetime(2026, 1, 15, 2, 30, tzinfo=berlin)
    assert QUIET.opens_at(after_midnight, berlin) == datetime(2026, 1, 15, 7, 0, tzinfo=UTC)
    assert QUIET.opens_at(datetime(2026, 1, 15, 12, 0, tzinfo=berlin), berlin) is None
    # The same UTC instant is daytime in New York: sent at once there.
    assert QUIET.opens_at(at_23, ZoneInfo("America/New_York")) is None


def test_the_window_opens_at_08_local_across_dst_changes() -> None:
    berlin, new_york = ZoneInfo("Europe/Berlin"), ZoneInfo("America/New_York")
    # Europe springs forward on 29 March 2026 (02:00 -> 03:00): 08:00 is 06:00 UTC after.
    night = datetime(2026, 3, 28, 22, 0, tzinfo=berlin)
    assert QUIET.opens_at(night, berlin) == datetime(2026, 3, 29, 6, 0, tzinfo=UTC)
    # ...and falls back on 25 October 2026: 08:00 is 07:00 UTC again; the night is 25 h.
    night = datetime(2026, 10, 24, 22, 0, tzinfo=berlin)
    opens = QUIET.opens_at(night, berlin)
    assert opens == datetime(2026, 10, 25, 7, 0, tzinfo=UTC)
    assert opens - night == timedelta(hours=11)
    # The US changes on other days (8 March 2026): 08:00 EDT is 12:00 UTC.
    night = datetime(2026, 3, 7, 23, 30, tzinfo=new_york)
    assert QUIET.opens_at(night, new_york) == datetime(2026, 3, 8, 12, 0, tzinfo=UTC)
    # A window ending inside the spring gap (02:30 does not exist) opens at 03:30 local.
    gap = QuietHours(starts=time(22, 0), ends=time(2, 30))
    opens = gap.opens_at(datetime(2026, 3, 29, 1, 0, tzinfo=berlin), berlin)
    assert opens is not None and opens.astimezone(berlin).hour == 3


async def test_a_customer_in_quiet_hours_waits_and_is_sent_when_the_window_opens(
    database: Database,
) -> None:
    # 22:00 UTC: 23:00 in Berlin (quiet), 17:00 in New York (not).
    night = datetime(2026, 1, 14, 22, 0, tzinfo=UTC)
    berlin_id, new_york_id = shoppers(
        database,
        [Shopper(phone="+4930901820"), Shopper(phone="+12125550100")],
        now=night,
    )
    rules = EngagementRules(quiet_hours=QUIET, frequency_cap=None)
    found = campaign(database)
    schedule(database, found, rules, night)
    clock = [night]
    sms = RecordingSender(Channel.SMS)
    scheduler, sender = worker(database, {Channel.SMS: sms}, rules, clock=lambda: clock[0])
    await send_all(scheduler, sender)
    assert [m.address for m in sms.sent] == ["+12125550100"]
    with database.transaction() as session:
        waiting = session.scalars(
            select(CampaignSend).where(CampaignSend.customer_id == berlin_id)
        ).one()
        assert (waiting.state, waiting.reason) == ("queued", "quiet_hours")
        assert waiting.next_attempt_at == datetime(2026, 1, 15, 7, 0, tzinfo=UTC)
        assert waiting.attempts == 0  # waiting is not a failed try
    clock[0] = datetime(2026, 1, 15, 6, 59, tzinfo=UTC)
    await send_all(scheduler, sender)
    assert len(sms.sent) == 1
    clock[0] = datetime(2026, 1, 15, 7, 0, tzinfo=UTC)
    await send_all(scheduler, sender)
    assert [m.address for m in sms.sent] == ["+12125550100", "+4930901820"]
    assert new_york_id != berlin_id
