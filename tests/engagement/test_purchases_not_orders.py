"""A cancelled or returned order is no purchase, here as in analytics: the segment
fields (`order_count`, `spend_cents`, `last_order_days_ago`), the template's fields and a
campaign's conversions count purchases only."""

from __future__ import annotations

from datetime import timedelta

from channels.messages import Channel
from crm_store import Database
from crm_store.base import utcnow
from crm_store.campaigns import get_campaign
from crm_store.models import Order
from engagement.audience_fields import customers_fields
from engagement.filters import audience
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


def _order(database: Database, customer_id: int, status: str, days_ago: float) -> None:
    with database.transaction() as session:
        session.add(
            Order(
                number=f"X{customer_id}-{status}-{days_ago}",
                customer_id=customer_id,
                status=status,
                total_cents=10_000,
                placed_at=utcnow() - timedelta(days=days_ago),
            )
        )


def _ids(database: Database, spec: dict) -> list[int]:
    with database.transaction() as session:
        return list(session.scalars(audience(spec, now=utcnow(), dialect=database.dialect)))


def test_segment_and_template_fields_leave_cancelled_and_returned_orders_out(
    database: Database,
) -> None:
    # One purchase 120 days ago, then an order cancelled and one returned last week.
    (lapsed,) = shoppers(
        database, [Shopper(phone="+14155550801", orders=1, last_order_days_ago=120)]
    )
    _order(database, lapsed, "cancelled", 7)
    _order(database, lapsed, "returned", 6)

    assert _ids(database, {"field": "order_count", "op": "gte", "value": 2}) == []
    assert _ids(database, {"field": "order_count", "op": "eq", "value": 1}) == [lapsed]
    assert _ids(database, {"field": "spend_cents", "op": "eq", "value": 2500}) == [lapsed]
    assert _ids(database, {"field": "last_order_days_ago", "op": "gt", "value": 90}) == [lapsed]

    with database.transaction() as session:
        fields = customers_fields(session, [lapsed])[lapsed].context()
    assert (fields["order_count"], fields["spend"]) == (1, "25.00")
    assert fields["last_order_date"] == (utcnow() - timedelta(days=120)).date().isoformat()


async def test_a_cancelled_order_is_no_conversion(database: Database) -> None:
    cancelled, bought = shoppers(
        database,
        [
            Shopper(name="Changed Mind", phone="+14155550802", orders=1, last_order_days_ago=100),
            Shopper(name="Came Back", phone="+14155550803", orders=1, last_order_days_ago=100),
        ],
    )
    found = campaign(database, content={"sms": {"body": "15% off this week"}})
    schedule(database, found, OPEN_RULES, utcnow())
    sms = RecordingSender(Channel.SMS)
    scheduler, sender = worker(database, {Channel.SMS: sms})
    await send_all(scheduler, sender)
    assert len(sms.sent) == 2
    _order(database, cancelled, "cancelled", -0.01)
    _order(database, bought, "delivered", -0.01)

    with database.transaction() as session:
        report = campaign_report(session, get_campaign(session, found.id))
    assert report["conversions"]["audience"] == {"customers": 2, "converted": 1, "rate": 0.5}
    # Nobody held out: no lift, and no interval to read one by.
    assert report["conversions"]["holdout"]["customers"] == 0
    assert (report["lift_points"], report["lift_interval_points"]) == (None, None)
    assert report["lift_beyond_chance"] is False
