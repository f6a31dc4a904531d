"""The staff dashboard's figures, read from the derived tables (`customer_metrics`,
`lead_scores`) as of the last refit, for one date range and channel.

What the filters mean (decided, and the same for every chart so they add up):

- **Date range** (`from`..`to`, days inclusive, UTC) picks the customers who made a
  purchase (analytics/purchases.py's rule) placed in the range, among the purchases
  the last refit counted: "of the customers active in this period, how recent,
  frequent and valuable are they". Their RFM scores and lifetime value stay those of
  the refit (scored against the whole base), so a narrow range shows where this
  period's buyers stand, not a re-scored small base. For open leads the range picks
  the leads opened in it.
- **Channel** picks customers who hold an identity on that channel (web, sms, email):
  a customer reachable on several is counted under each. For leads, the channel the
  lead came in by (`source_channel`).

No range (both ends None) means everyone. Money is summed as stored, in cents (see
analytics/README.md on currencies).

Speed (bench/analytics.py: 100k customers, 200k orders, 90-day ranges): the range is
answered from the refit's own first and last purchase of each customer
(`customer_metrics`, indexed and written in order of last purchase). That settles every
range ending after the refit (the usual "last N days"); for one ending before it, the
customers whose purchases straddle its end are checked against the range's buyers in
the orders, read once as a hashed list (an EXISTS per customer inside the OR made
PostgreSQL price the query so high that it JIT-compiled it, most of its time).
The value distribution's quantiles and histogram are computed in SQL on PostgreSQL
(numpy on SQLite, which has no percentile function), so no request loads every value
into Python. When the figures were computed is the refit's own record (`model_fits`),
not a scan of the table.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import numpy as np
from sqlalchemy import ColumnElement, exists, func, literal, null, or_, select, union_all
from sqlalchemy.orm import Session

from analytics.model_fits import CUSTOMER_METRICS, LIFETIME_VALUE, latest_fit
from analytics.segments import SEGMENT_MEANINGS, SEGMENTS
from crm_store.models import Customer, CustomerMetrics, Identity, Lead, LeadScore, Order, StaffUser
from crm_store.summaries import BEST_CHANCE_FIRST, NOT_PURCHASES, OPEN_LEADS

__all__ = [
    "DashboardFilter",
    "count_leads",
    "lead_board",
    "lead_scores",
    "leads_by_owner",
    "purchase_currencies",
    "refit_time",
    "rfm_grid",
    "segment_sizes",
    "value_distribution",
]

VALUE_BUCKETS = 12


@dataclass(frozen=True)
class DashboardFilter:
    """A date range (inclusive days, either end open) and a channel (None: all)."""

    start: date | None = None
    end: date | None = None
    channel: str | None = None

    @property
    def since(self) -> datetime | None:
        return datetime.combine(self.start, time.min, UTC) if self.start else None

    @property
    def until(self) -> datetime | None:  # exclusive: the day after `end`
        if self.end is None or self.end == date.max:
            return None
        return datetime.combine(self.end + timedelta(days=1), time.min, UTC)

    def as_json(self) -> dict[str, Any]:
        return {
            "from": self.start.isoformat() if self.start else None,
            "to": self.end.isoformat() if self.end else None,
            "channel": self.channel,
        }


def _customers_in(session: Session, window: DashboardFilter) -> list[ColumnElement[bool]]:
    """Conditions on `customer_metrics` for the filter (see the module).

    A purchase in [since, until): the last one the refit counted at or after `since`,
    the first before `until`; for a range that ends before the refit's time, when the
    last purchase is not before `until` either, a purchase in the range among the
    orders (a hashed list of the range's buyers, not a probe per customer)."""
    conditions: list[ColumnElement[bool]] = []
    m = CustomerMetrics
    if window.since is not None:
        conditions.append(m.last_purchase_at >= window.since)
    if window.until is not None:
        conditions.append(m.first_purchase_at < window.until)
        computed = refit_time(session)
        if computed is None or window.until <= computed:
            bought = [
                Order.status.not_in(NOT_PURCHASES),
                Order.placed_at < window.until,
            ]
            if window.since is not None:
                bought.append(Order.placed_at >= window.since)
            buyers = select(Order.customer_id).where(*bought)
            conditions.append(or_(m.last_purchase_at < window.until, m.customer_id.in_(buyers)))
    if window.channel is not None:
        conditions.append(
            exists().where(
                Identity.customer_id == CustomerMetrics.customer_id,
                Identity.channel == window.channel,
            )
        )
    return conditions


def refit_time(session: Session) -> datetime | None:
    """When `customer_metrics` was computed (None: never refitted): the last refit's
    record, or for a table a refit before that record existed wrote, its rows' time."""
    stored = latest_fit(session, CUSTOMER_METRICS)
    if stored is not None:
        return stored.fitted_at
    return session.scalar(select(func.max(CustomerMetrics.computed_at)))


def purchase_currencies(session: Session) -> list[str]:
    """The currencies of the purchases on file, which the figures' amounts add up as
    stored (no exchange rates are kept): one, or several summed together. Of every
    purchase, not the range's: a customer's lifetime spend and value are of all theirs."""
    counted = Order.status.not_in(NOT_PURCHASES)
    return list(
        session.scalars(select(Order.currency).where(counted).distinct().order_by(Order.currency))
    )


def rfm_grid(session: Session, window: DashboardFilter) -> list[dict[str, int]]:
    """Buyers per (recency score, frequency score), all 25 cells, with their spend."""
    counted = {
        (int(r), int(f)): (int(n), int(spend or 0))
        for r, f, n, spend in session.execute(
            select(
                CustomerMetrics.recency_score,
                CustomerMetrics.frequency_score,
                func.count(),
                func.sum(CustomerMetrics.lifetime_spend_cents),
            )
            .where(CustomerMetrics.recency_score.is_not(None), *_customers_in(session, window))
            .group_by(CustomerMetrics.recency_score, CustomerMetrics.frequency_score)
        )
    }
    return [
        {
            "recency_score": r,
            "frequency_score": f,
            "customers": counted.get((r, f), (0, 0))[0],
            "spend_cents": counted.get((r, f), (0, 0))[1],
        }
        for r in range(1, 6)
        for f in range(1, 6)
    ]


def segment_sizes(session: Session, window: DashboardFilter) -> list[dict[str, Any]]:
    """Customers and their lifetime spend in each ready-made segment (every one named)."""
    counted = {
        name: (int(n), int(spend or 0))
        for name, n, spend in session.execute(
            select(
                CustomerMetrics.segment,
                func.count(),
                func.sum(CustomerMetrics.lifetime_spend_cents),
            )
            .where(CustomerMetrics.segment.is_not(None), *_customers_in(session, window))
            .group_by(CustomerMetrics.segment)
        )
    }
    return [
        {
            "segment": name,
            "meaning": SEGMENT_MEANINGS[name],
            "customers": counted.get(name, (0, 0))[0],
            "spend_cents": counted.get(name, (0, 0))[1],
        }
        for name in SEGMENTS
    ]


def value_horizon_weeks(session: Session) -> int | None:
    """How many weeks ahead the stored lifetime values look: the last lifetime-value
    fit's horizon (`analytics refit --horizon-weeks`, 52 by default); None before any
    fit. The page names the period from this, so a 26-week refit is not called 52."""
    fit = latest_fit(session, LIFETIME_VALUE)
    weeks = (fit.report.get("horizon") or {}).get("weeks") if fit is not None else None
    return int(weeks) if weeks is not None else None


def value_distribution(session: Session, window: DashboardFilter) -> dict[str, Any]:
    """The predicted lifetime values of the filtered customers: summary figures and a
    histogram of `VALUE_BUCKETS` equal-width buckets from 0 to the 99th percentile, the
    last bucket also holding everyone above it (so one whale does not squash the rest).
    Quantiles are linear-interpolated (numpy's default, PostgreSQL's percentile_cont).
    """
    value = CustomerMetrics.lifetime_value_cents
    # Below +infinity: also leaves out NaN (PostgreSQL sorts it above every number), which
    # a refit before non-finite predictions were left out may have stored.
    chosen = [value.is_not(None), value < float("inf"), *_customers_in(session, window)]
    if session.get_bind().dialect.name == "postgresql":
        count, total, median, p90, p99, top = session.execute(
            select(
                func.count(),
                func.sum(value),
                *(func.percentile_cont(q).within_group(value) for q in (0.5, 0.9, 0.99)),
                func.max(value),
            ).where(*chosen)
        ).one()
        if not count:
            return _no_values()
        width = _bucket_width(float(p99), float(top))
        bucket = func.least(func.floor(value / width), VALUE_BUCKETS - 1)
        counted = dict(
            session.execute(select(bucket, func.count()).where(*chosen).group_by(bucket)).all()
        )
        counts = [int(counted.get(i, 0)) for i in range(VALUE_BUCKETS)]
        return _distribution(int(count), float(total), float(median), float(p90), width, counts)
    values = np.array(session.scalars(select(value).where(*chosen)).all(), dtype=float)
    if values.size == 0:
        return _no_values()
    width = _bucket_width(float(np.percentile(values, 99)), float(values.max()))
    index = np.minimum((values // width).astype(int), VALUE_BUCKETS - 1)
    return _distribution(
        int(values.size),
        float(values.sum()),
        float(np.median(values)),
        float(np.percentile(values, 90)),
        width,
        [int(n) for n in np.bincount(index, minlength=VALUE_BUCKETS)],
    )


def _bucket_width(p99: float, top: float) -> float:
    return (p99 or top or 1.0) / VALUE_BUCKETS


def _no_values() -> dict[str, Any]:
    empty = {"customers": 0, "total_cents": 0, "median_cents": None, "p90_cents": None}
    return empty | {"buckets": []}


def _distribution(
    count: int, total: float, median: float, p90: float, width: float, counts: list[int]
) -> dict[str, Any]:
    return {
        "customers": count,
        "total_cents": round(total),
        "median_cents": round(median),
        "p90_cents": round(p90),
        "buckets": [
            {
                "low_cents": round(i * width),
                "high_cents": round((i + 1) * width) if i < VALUE_BUCKETS - 1 else None,
                "customers": counts[i],
            }
            for i in range(VALUE_BUCKETS)
        ],
    }


def _open_leads_in(window: DashboardFilter) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [Lead.status.in_(OPEN_LEADS)]
    if window.since is not None:
        conditions.append(Lead.created_at >= window.since)
    if window.until is not None:
        conditions.append(Lead.created_at < window.until)
    if window.channel is not None:
        conditions.append(Lead.source_channel == window.channel)
    return conditions


def lead_scores(
    session: Session,
    window: DashboardFilter,
    *,
    owner_staff_id: int | None = None,
    limit: int | None = None,
) -> list[dict[str, Any]]:
    """Open leads, best chance first (unscored leads last, newest first among them),
    with owner, customer, probability and top factors; the first `limit` of them."""
    conditions = _open_leads_in(window)
    if owner_staff_id is not None:
        conditions.append(Lead.owner_staff_id == owner_staff_id)
    # The page of leads first (leads and scores only), then their customers and owners:
    # joining every open lead's customer before the sort read the whole customers table.
    page = (
        select(Lead.id)
        .outerjoin(LeadScore, LeadScore.lead_id == Lead.id)
        .where(*conditions)
        .order_by(*BEST_CHANCE_FIRST)
        .limit(limit)
        .subquery()
    )
    rows = session.execute(
        select(Lead, Customer.name, Customer.email, StaffUser.name, LeadScore)
        .join(page, page.c.id == Lead.id)
        .join(Customer, Customer.id == Lead.customer_id)
        .outerjoin(StaffUser, StaffUser.id == Lead.owner_staff_id)
        .outerjoin(LeadScore, LeadScore.lead_id == Lead.id)
        .order_by(*BEST_CHANCE_FIRST)
    ).all()
    return [_lead_json(*row) for row in rows]


def count_leads(
    session: Session, window: DashboardFilter, *, owner_staff_id: int | None = None
) -> int:
    conditions = _open_leads_in(window)
    if owner_staff_id is not None:
        conditions.append(Lead.owner_staff_id == owner_staff_id)
    return int(session.scalar(select(func.count()).select_from(Lead).where(*conditions)) or 0)


def leads_by_owner(session: Session, window: DashboardFilter) -> list[dict[str, Any]]:
    """Per owner: open leads, scored ones, their mean probability and expected wins (the
    sum of the probabilities), most expected wins first; one GROUP BY."""
    return lead_board(session, window, limit=0)[0]


def lead_board(
    session: Session, window: DashboardFilter, *, limit: int
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """`leads_by_owner` and the first `limit` of `lead_scores` together, from one pass
    over the open leads of the range and their scores: one statement whose common table
    (the leads with their probability) feeds both the owners' GROUP BY and the sorted
    page, instead of joining every open lead to its score twice. Then the page's leads
    are read by id, with their customers and owners."""
    open_leads = (
        select(Lead.id, Lead.owner_staff_id, Lead.created_at, LeadScore.probability)
        .outerjoin(LeadScore, LeadScore.lead_id == Lead.id)
        .where(*_open_leads_in(window))
        .cte("open_leads")
    )
    grouped = (
        select(
            open_leads.c.owner_staff_id,
            func.count().label("leads"),
            func.count(open_leads.c.probability).label("scored"),
            func.sum(open_leads.c.probability).label("wins"),
        )
        .group_by(open_leads.c.owner_staff_id)
        .subquery()
    )
    owners_part = select(
        literal(0).label("part"),
        grouped.c.owner_staff_id,
        StaffUser.name,
        grouped.c.leads,
        grouped.c.scored,
        grouped.c.wins,
    ).outerjoin(StaffUser, StaffUser.id == grouped.c.owner_staff_id)
    o = open_leads.c
    page = (
        select(o.id)
        .order_by(o.probability.is_(None), o.probability.desc(), o.created_at.desc(), o.id.desc())
        .limit(limit)
        .subquery()
    )
    page_part = select(
        literal(1), page.c.id, null(), null(), null(), null()
    )  # the lead's id in the owner's column
    rows = session.execute(union_all(owners_part, page_part)).all()
    owners = sorted(
        (
            {
                "owner": {"id": owner_id, "name": name} if owner_id is not None else None,
                "leads": int(leads),
                "scored": int(scored),
                "expected_wins": round(float(wins or 0.0), 2),
                "mean_probability": round(float(wins) / scored, 4) if scored else None,
            }
            for part, owner_id, name, leads, scored, wins in rows
            if part == 0
        ),
        key=lambda o: (-o["expected_wins"], -o["leads"]),
    )
    ids = [lead_id for part, lead_id, *_ in rows if part == 1]
    if not ids:
        return owners, []
    leads = session.execute(
        select(Lead, Customer.name, Customer.email, StaffUser.name, LeadScore)
        .join(Customer, Customer.id == Lead.customer_id)
        .outerjoin(StaffUser, StaffUser.id == Lead.owner_staff_id)
        .outerjoin(LeadScore, LeadScore.lead_id == Lead.id)
        .where(Lead.id.in_(ids))
        .order_by(*BEST_CHANCE_FIRST)
    ).all()
    return owners, [_lead_json(*row) for row in leads]


def _lead_json(
    lead: Lead, name: str | None, email: str | None, owner: str | None, score: LeadScore | None
) -> dict[str, Any]:
    return {
        "lead_id": lead.id,
        "status": lead.status,
        "company": lead.company,
        "interest": lead.interest,
        "source_channel": lead.source_channel,
        "created_at": lead.created_at.isoformat(timespec="seconds"),
        "customer": {"id": lead.customer_id, "name": name, "email": email},
        "owner": (
            {"id": lead.owner_staff_id, "name": owner} if lead.owner_staff_id is not None else None
        ),
        "probability": round(score.probability, 4) if score is not None else None,
        "factors": list(score.factors) if score is not None else [],
        "scored_at": score.scored_at.isoformat(timespec="seconds") if score is not None else None,
    }
