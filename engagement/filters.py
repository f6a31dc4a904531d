"""Segment filters: a small declared shape, validated, compiled to SQL over the store.

A filter is a condition or a combination of them (JSON or YAML):

    {"all": [{"field": "order_count", "op": "gte", "value": 2},
             {"field": "last_order_days_ago", "op": "gt", "value": 90}]}

`all`, `any` (lists) and `not` (one filter) combine; a condition names a `field`, an
`op` and a `value`. The fields are in FIELDS below, with the ops each allows. Everything
is evaluated in SQL (correlated subqueries per customer), the same on SQLite and
PostgreSQL, so a segment of a million customers is never loaded into Python. Pending
contacts (mail nobody vouched for) are never in any segment.

`order_count`, `spend_cents` and `last_order_days_ago` read the orders themselves, not
the analytics table, so a segment is right even before `analytics refit` ran; they
count purchases, as analytics does: orders not cancelled or returned;
`analytics_segment` reads the ready-made RFM segment of the last refit.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    cast,
    exists,
    false,
    func,
    literal,
    not_,
    or_,
    select,
    true,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.sql.elements import ColumnElement as Column

from analytics.segments import SEGMENTS
from crm_store.base import MAX_ID
from crm_store.consents import PURPOSES
from crm_store.models import (
    ConsentEntry,
    Customer,
    CustomerMetrics,
    Identity,
    Interaction,
    Order,
    Ticket,
)
from crm_store.models.customers import LIFECYCLE_STAGES
from crm_store.orders import NOT_PURCHASES
from crm_store.vocabulary import OPEN_TICKET_STATUSES
from engagement.errors import InvalidFilter

__all__ = ["FIELDS", "audience", "validate_filter"]

COMPARE = {
    "eq": lambda a, b: a == b,
    "ne": lambda a, b: a != b,
    "gt": lambda a, b: a > b,
    "gte": lambda a, b: a >= b,
    "lt": lambda a, b: a < b,
    "lte": lambda a, b: a <= b,
}
CHANNELS = ("sms", "email", "web")
# A value past these cannot be compared in the database (PostgreSQL binds it as the
# INTEGER of the column it is compared with, at most the store's MAX_ID) or turned into
# a date (a million years ago): refused when the filter is saved, not a 500 at its
# preview. A hundred years covers any customer's history.
LARGEST = {"count": MAX_ID, "days": 36_500}
MAX_DEPTH = 8
MAX_CONDITIONS = 50


def _purchase() -> Any:
    """The customer's purchases: orders not cancelled or returned, as analytics counts
    them (a cancelled order is no purchase, so it makes nobody "bought twice")."""
    return and_(Order.customer_id == Customer.id, Order.status.not_in(NOT_PURCHASES))


def _order_count() -> Any:
    return select(func.count(Order.id)).where(_purchase()).scalar_subquery()


def _spend() -> Any:
    return (
        select(func.coalesce(func.sum(Order.total_cents), 0)).where(_purchase()).scalar_subquery()
    )


def _last_order() -> Any:
    return select(func.max(Order.placed_at)).where(_purchase())


def _last_interaction() -> Any:
    return select(func.max(Interaction.created_at)).where(Interaction.customer_id == Customer.id)


def _open_tickets() -> Any:
    return (
        select(func.count(Ticket.id))
        .where(
            Ticket.customer_id == Customer.id,
            Ticket.status.in_([s.value for s in OPEN_TICKET_STATUSES]),
        )
        .scalar_subquery()
    )


def _days_ago(latest: Any, op: str, days: int, now: datetime) -> ColumnElement[bool]:
    """`latest` (a per-customer max) more than / fewer than `days` days ago. "More days
    ago" is an earlier time, so the comparison turns around; no time at all (never
    ordered) matches none of them."""
    at = now - timedelta(days=days)
    flipped = {"gt": "lt", "gte": "lte", "lt": "gt", "lte": "gte", "eq": "eq", "ne": "ne"}[op]
    if op in ("eq", "ne"):
        raise InvalidFilter("days-ago fields take gt, gte, lt or lte")
    column = latest.scalar_subquery()
    return and_(column.is_not(None), COMPARE[flipped](column, at))


def _consent(value: Mapping[str, str], op: str) -> ColumnElement[bool]:
    """An address of the customer on `channel` whose newest `purpose` entry is
    granted (op `granted`), withdrawn (`withdrawn`), or anything but withdrawn
    (`not_withdrawn`, which includes never asked)."""
    newest = (
        select(ConsentEntry.decision)
        .where(
            ConsentEntry.channel == Identity.channel,
            ConsentEntry.address == Identity.address,
            ConsentEntry.purpose == value["purpose"],
        )
        .order_by(ConsentEntry.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    if op == "granted":
        wanted: Column[bool] = newest == "granted"
    elif op == "withdrawn":
        wanted = newest == "withdrawn"
    else:
        wanted = or_(newest.is_(None), newest != "withdrawn")
    return exists().where(
        Identity.customer_id == Customer.id, Identity.channel == value["channel"], wanted
    )


def _tag(dialect: str, tag: str) -> ColumnElement[bool]:
    """`tag` is in the customer's `attributes.tags` list."""
    if dialect == "postgresql":
        tags = cast(Customer.attributes, JSONB)["tags"]
        # No tags at all is "does not have it" (false), not unknown (NULL).
        return func.coalesce(tags.contains(cast(literal(f'["{tag}"]'), JSONB)), false())
    each = func.json_each(Customer.attributes, "$.tags").table_valued("value")
    return exists(select(each.c.value).where(each.c.value == tag))


def _compare(column: Any) -> Callable[[str, Any, datetime, str], ColumnElement[bool]]:
    return lambda op, value, now, dialect: COMPARE[op](column(), value)


# field -> (allowed ops, value check, SQL builder(op, value, now, dialect))
FIELDS: dict[str, tuple[tuple[str, ...], str, Callable[..., ColumnElement[bool]]]] = {
    "lifecycle_stage": (
        ("eq", "ne", "in"),
        "stage",
        lambda op, v, now, d: (
            Customer.lifecycle_stage.in_(v)
            if op == "in"
            else COMPARE[op](Customer.lifecycle_stage, v)
        ),
    ),
    "account_id": (
        ("eq", "ne", "in", "is_set"),
        "account",
        lambda op, v, now, d: (
            (Customer.account_id.is_not(None) if v else Customer.account_id.is_(None))
            if op == "is_set"
            else Customer.account_id.in_(v)
            if op == "in"
            else COMPARE[op](Customer.account_id, v)
        ),
    ),
    "tag": (
        ("has", "lacks"),
        "text",
        lambda op, v, now, d: _tag(d, v) if op == "has" else not_(_tag(d, v)),
    ),
    "order_count": (tuple(COMPARE), "count", _compare(_order_count)),
    "spend_cents": (tuple(COMPARE), "count", _compare(_spend)),
    "open_tickets": (tuple(COMPARE), "count", _compare(_open_tickets)),
    "last_order_days_ago": (
        ("gt", "gte", "lt", "lte"),
        "days",
        lambda op, v, now, d: _days_ago(_last_order(), op, v, now),
    ),
    "last_interaction_days_ago": (
        ("gt", "gte", "lt", "lte"),
        "days",
        lambda op, v, now, d: _days_ago(_last_interaction(), op, v, now),
    ),
    "created_days_ago": (
        ("gt", "gte", "lt", "lte"),
        "days",
        lambda op, v, now, d: COMPARE[{"gt": "lt", "gte": "lte", "lt": "gt", "lte": "gte"}[op]](
            Customer.created_at, now - timedelta(days=v)
        ),
    ),
    "has_channel": (
        ("eq",),
        "channel",
        lambda op, v, now, d: exists().where(
            Identity.customer_id == Customer.id, Identity.channel == v
        ),
    ),
    "consent": (
        ("granted", "withdrawn", "not_withdrawn"),
        "consent",
        lambda op, v, now, d: _consent(v, op),
    ),
    "analytics_segment": (
        ("eq", "in"),
        "analytics_segment",
        lambda op, v, now, d: exists().where(
            CustomerMetrics.customer_id == Customer.id,
            CustomerMetrics.segment.in_(v if op == "in" else [v]),
        ),
    ),
}


def _check_value(kind: str, op: str, value: Any, where: str) -> None:
    def fail(wanted: str) -> None:
        raise InvalidFilter(f"{where}.value: {wanted}, not {value!r}")

    many = op == "in"
    values = value if many else [value]
    if many and (not isinstance(value, list) or not value):
        fail("a non-empty list")
    for item in values:
        if kind == "stage" and item not in LIFECYCLE_STAGES:
            fail(f"one of {', '.join(LIFECYCLE_STAGES)}")
        if kind == "analytics_segment" and item not in SEGMENTS:
            fail(f"one of {', '.join(SEGMENTS)}")
        if kind == "channel" and item not in CHANNELS:
            fail(f"one of {', '.join(CHANNELS)}")
        if kind == "text" and (
            not isinstance(item, str) or not item or '"' in item or len(item) > 100
        ):
            fail("a tag of 1 to 100 characters without quotes")
        if kind in ("count", "days") and (
            isinstance(item, bool) or not isinstance(item, int) or item < 0
        ):
            fail("a whole number, 0 or more")
        if kind in ("count", "days") and item > LARGEST[kind]:
            fail(f"at most {LARGEST[kind]}")
        if kind == "account":
            if op == "is_set" and not isinstance(item, bool):
                fail("true or false")
            if op != "is_set" and (
                isinstance(item, bool) or not isinstance(item, int) or not 1 <= item <= MAX_ID
            ):
                fail("an account id")
        if kind == "consent":
            if not isinstance(item, dict) or set(item) != {"channel", "purpose"}:
                fail('{"channel": ..., "purpose": ...}')
            if item["channel"] not in CHANNELS or item["purpose"] not in PURPOSES:
                fail(f"channel one of {CHANNELS}, purpose one of {PURPOSES}")


def validate_filter(spec: Any, where: str = "filter", depth: int = 0) -> int:
    """Raise `InvalidFilter` saying where `spec` breaks the declared shape; returns the
    number of conditions (a filter of more than MAX_CONDITIONS is refused)."""
    if depth > MAX_DEPTH:
        raise InvalidFilter(f"{where}: nested deeper than {MAX_DEPTH}")
    if not isinstance(spec, dict):
        raise InvalidFilter(f"{where}: an object, not {type(spec).__name__}")
    keys = set(spec)
    if keys in ({"all"}, {"any"}):
        (key,) = keys
        parts = spec[key]
        if not isinstance(parts, list):
            raise InvalidFilter(f"{where}.{key}: a list of filters")
        count = sum(
            validate_filter(part, f"{where}.{key}[{i}]", depth + 1) for i, part in enumerate(parts)
        )
    elif keys == {"not"}:
        count = validate_filter(spec["not"], f"{where}.not", depth + 1)
    elif keys == {"field", "op", "value"}:
        field = spec["field"]
        if field not in FIELDS:
            raise InvalidFilter(
                f"{where}.field: unknown field {field!r}; one of {', '.join(FIELDS)}"
            )
        ops, kind, _ = FIELDS[field]
        if spec["op"] not in ops:
            raise InvalidFilter(f"{where}.op: {field} takes {', '.join(ops)}, not {spec['op']!r}")
        _check_value(kind, spec["op"], spec["value"], where)
        count = 1
    else:
        raise InvalidFilter(
            f"{where}: a condition (field, op, value) or one of all / any / not, "
            f"not the keys {sorted(keys)}"
        )
    if count > MAX_CONDITIONS:
        raise InvalidFilter(f"{where}: more than {MAX_CONDITIONS} conditions")
    return count


def _compile(spec: Mapping[str, Any], now: datetime, dialect: str) -> ColumnElement[bool]:
    if "all" in spec:
        return and_(true(), *(_compile(part, now, dialect) for part in spec["all"]))
    if "any" in spec:
        parts = [_compile(part, now, dialect) for part in spec["any"]]
        return or_(*parts) if parts else not_(true())
    if "not" in spec:
        return not_(_compile(spec["not"], now, dialect))
    _, _, build = FIELDS[spec["field"]]
    return build(spec["op"], spec["value"], now, dialect)


def audience(spec: Mapping[str, Any], *, now: datetime, dialect: str) -> Select[tuple[int]]:
    """The ids of the customers `spec` selects (validated first), in id order."""
    validate_filter(spec)
    return (
        select(Customer.id)
        .where(Customer.pending.is_(False), _compile(spec, now, dialect))
        .order_by(Customer.id)
    )
