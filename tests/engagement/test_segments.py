"""Segments: the declared filter shape is validated with a reason, and evaluated in SQL
the same way on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from crm_store import Database, consents
from crm_store.base import utcnow
from crm_store.models import Customer, CustomerMetrics, Ticket
from engagement.errors import InvalidFilter
from engagement.filters import audience, validate_filter
from tests.support.campaigns import Shopper, shoppers

BOUGHT_TWICE_NOTHING_IN_90_DAYS = {
    "all": [
        {"field": "order_count", "op": "gte", "value": 2},
        {"field": "last_order_days_ago", "op": "gt", "value": 90},
    ]
}


def _ids(database: Database, spec: dict) -> list[int]:
    with database.transaction() as session:
        return list(session.scalars(audience(spec, now=utcnow(), dialect=database.dialect)))


def test_bought_twice_nothing_in_90_days(database: Database) -> None:
    lapsed, recent, once, never = shoppers(
        database,
        [
            Shopper(phone="+14155550101", orders=2, last_order_days_ago=120),
            Shopper(phone="+14155550102", orders=3, last_order_days_ago=5),
            Shopper(phone="+14155550103", orders=1, last_order_days_ago=200),
            Shopper(phone="+14155550104", orders=0),
        ],
    )
    assert _ids(database, BOUGHT_TWICE_NOTHING_IN_90_DAYS) == [lapsed]
    assert _ids(database, {"field": "order_count", "op": "eq", "value": 0}) == [never]
    assert _ids(database, {"field": "spend_cents", "op": "gte", "value": 7500}) == [recent]
    assert _ids(database, {"not": BOUGHT_TWICE_NOTHING_IN_90_DAYS}) == [recent, once, never]


def test_consent_channel_tags_tickets_stage_and_analytics(database: Database) -> None:
    sms_only, both, withdrawn = shoppers(
        database,
        [
            Shopper(phone="+14155550111", attributes={"tags": ["vip", "wholesale"]}),
            Shopper(phone="+14155550112", email="b@example.com", attributes={"tags": ["vip"]}),
            Shopper(email="c@example.com"),
        ],
    )
    with database.transaction() as session:
        consents.record_consent(
            session,
            channel="email",
            address="c@example.com",
            decision=consents.WITHDRAWN,
            means="unsubscribe_link",
            source="test",
        )
        session.add(Ticket(number="T-1", customer_id=both, subject="Broken zip", status="open"))
        session.get_one(Customer, withdrawn).lifecycle_stage = "churned"
        session.add(CustomerMetrics(customer_id=sms_only, computed_at=utcnow(), segment="at_risk"))
    granted_email = {"channel": "email", "purpose": "marketing"}
    assert _ids(database, {"field": "consent", "op": "granted", "value": granted_email}) == [both]
    assert _ids(database, {"field": "consent", "op": "withdrawn", "value": granted_email}) == [
        withdrawn
    ]
    assert _ids(database, {"field": "has_channel", "op": "eq", "value": "sms"}) == [sms_only, both]
    assert _ids(database, {"field": "tag", "op": "has", "value": "wholesale"}) == [sms_only]
    assert _ids(database, {"field": "tag", "op": "has", "value": "vip"}) == [sms_only, both]
    assert _ids(database, {"field": "open_tickets", "op": "gte", "value": 1}) == [both]
    assert _ids(database, {"field": "lifecycle_stage", "op": "in", "value": ["churned"]}) == [
        withdrawn
    ]
    assert _ids(database, {"field": "analytics_segment", "op": "eq", "value": "at_risk"}) == [
        sms_only
    ]
    recent = {"field": "last_interaction_days_ago", "op": "lt", "value": 30}
    assert _ids(database, {"any": [recent, {"field": "tag", "op": "lacks", "value": "vip"}]}) == [
        withdrawn
    ]


@pytest.mark.parametrize(
    ("spec", "reason"),
    [
        ({"field": "shoe_size", "op": "eq", "value": 9}, "unknown field 'shoe_size'"),
        ({"field": "order_count", "op": "has", "value": 2}, "order_count takes"),
        ({"field": "order_count", "op": "gte", "value": "two"}, "a whole number"),
        ({"field": "lifecycle_stage", "op": "eq", "value": "vip"}, "one of visitor"),
        ({"all": {"field": "order_count"}}, "filter.all: a list"),
        ({"all": [{"field": "order_count", "op": "gte"}]}, "filter.all[0]"),
        ([1, 2], "an object"),
        # Past what the database or a date can hold: saved, these were a 500 at preview.
        ({"field": "spend_cents", "op": "gt", "value": 10**20}, "at most 2147483647"),
        ({"field": "created_days_ago", "op": "gt", "value": 99_999_999}, "at most 36500"),
        ({"field": "last_order_days_ago", "op": "lt", "value": 36_501}, "at most 36500"),
        ({"field": "account_id", "op": "in", "value": [1, 2**31]}, "an account id"),
    ],
)
def test_a_bad_filter_is_refused_with_where_and_why(spec: object, reason: str) -> None:
    with pytest.raises(InvalidFilter, match=reason.replace("[", r"\[").replace("]", r"\]")):
        validate_filter(spec)


def test_the_largest_values_a_filter_takes_are_evaluated(database: Database) -> None:
    """At the edge of what a filter takes, the audience is read (nobody is in it)."""
    for spec in (
        {"field": "spend_cents", "op": "gt", "value": 2**31 - 1},
        {"field": "order_count", "op": "gt", "value": 2**31 - 1},
        {"field": "created_days_ago", "op": "gt", "value": 36_500},
        {"field": "last_order_days_ago", "op": "gt", "value": 36_500},
        {"field": "last_interaction_days_ago", "op": "gte", "value": 36_500},
        {"field": "account_id", "op": "eq", "value": 2**31 - 1},
    ):
        validate_filter(spec)
        assert _ids(database, spec) == [], spec
