"""The staff dashboard's figures, read from the derived tables (`customer_metrics`,
`lead_scores`) as of the last refit, for one date range and channel.

What the filters mean (decided, and the same for every chart so they add up):

- **Date range** (`from`..`to`, days inclusive, UTC) picks the customers who made a
  purchase (analytics/purchases.py's rule) placed in the range: "of the customers
  active in this period, how recent, frequent and valuable are they". Their RFM scores
  and lifetime value stay those of the refit (scored against the whole base), so a
  narrow range shows where this period's buyers stand, not a re-scored small base. For
  open leads the range picks the leads opened in it.
- **Channel** picks customers who hold an identity on that channel (web, sms, email):
  a customer reachable on several is counted under each. For leads, the channel the
  lead came in by (`source_channel`).

No range (both ends None) means everyone. Money is summed as stored, in cents (see
analytics/README.md on currencies).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import numpy as np
from sqlalchemy import ColumnElement, exists, func, select
from sqlalchemy.orm import Session

from analytics.segments import SEGMENTS
from crm_store.models import Customer, CustomerMetrics, Identity, Lead, LeadScore, Order, StaffUser
from crm_store.summaries import BEST_CHANCE_FIRST, NOT_PURCHASES, OPEN_LEADS

__all__ = [
    "DashboardFilter",
    "count_leads",
    "lead_scores",
    "leads_by_owner",
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


def _customers_in(window: DashboardFilter) -> list[ColumnElement[bool]]:
    """Conditions on `customer_metrics.customer_id` for the filter (see the module)."""
    conditions: list[ColumnElement[bool]] = []
    if window.since is not None or window.until is not None:
        bought = [
            Order.customer_id == CustomerMetrics.customer_id,
            Order.status.not_in(NOT_PURCHASES),
        ]
        if window.since is not None:
            bought.append(Order.placed_at >= window.since)
        if window.until is not None:
            bought.append(Order.placed_at < window.until)
        conditions.append(exists().where(*bought))
    if window.channel is not None:
        conditions.append(
            exists().where(
                Identity.customer_id == CustomerMetrics.customer_id,
                Identity.channel == window.channel,
            )
        )
    return conditions


def refit_time(session: Session) -> datetime | None:
    """When `customer_metrics` was computed (None: never refitted)."""
    return session.scalar(select(func.max(CustomerMetrics.computed_at)))


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
            .where(CustomerMetrics.recency_score.is_not(None), *_customers_in(window))
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
            .where(CustomerMetrics.segment.is_not(None), *_customers_in(window))
            .group_by(CustomerMetrics.segment)
        )
    }
    return [
        {
            "segment": name,
            "customers": counted.get(name, (0, 0))[0],
            "spend_cents": counted.get(name, (0, 0))[1],
        }
        for name in SEGMENTS
    ]


def value_distribution(session: Session, window: DashboardFilter) -> dict[str, Any]:
    """The predicted lifetime values of the filtered customers: summary figures and a
    histogram of `VALUE_BUCKETS` equal-width buckets from 0 to the 99th percentile, the
    last bucket also holding everyone above it (so one whale does not squash the rest).
    """
    values = np.array(
        session.scalars(
            select(CustomerMetrics.lifetime_value_cents).where(
                CustomerMetrics.lifetime_value_cents.is_not(None), *_customers_in(window)
            )
        ).all(),
        dtype=float,
    )
    if values.size == 0:
        empty = {"customers": 0, "total_cents": 0, "median_cents": None, "p90_cents": None}
        return empty | {"buckets": []}
    top = float(np.percentile(values, 99)) or float(values.max()) or 1.0
    width = top / VALUE_BUCKETS
    index = np.minimum((values // width).astype(int), VALUE_BUCKETS - 1)
    counts = np.bincount(index, minlength=VALUE_BUCKETS)
    return {
        "customers": int(values.size),
        "total_cents": round(float(values.sum())),
        "median_cents": round(float(np.median(values))),
        "p90_cents": round(float(np.percentile(values, 90))),
        "buckets": [
            {
                "low_cents": round(i * width),
                "high_cents": round((i + 1) * width) if i < VALUE_BUCKETS - 1 else None,
                "customers": int(counts[i]),
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
    rows = session.execute(
        select(Lead, Customer.name, Customer.email, StaffUser.name, LeadScore)
        .join(Customer, Customer.id == Lead.customer_id)
        .outerjoin(StaffUser, StaffUser.id == Lead.owner_staff_id)
        .outerjoin(LeadScore, LeadScore.lead_id == Lead.id)
        .where(*conditions)
        .order_by(*BEST_CHANCE_FIRST)
        .limit(limit)
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
    rows = session.execute(
        select(
            Lead.owner_staff_id,
            StaffUser.name,
            func.count(),
            func.count(LeadScore.probability),
            func.sum(LeadScore.probability),
        )
        .outerjoin(StaffUser, StaffUser.id == Lead.owner_staff_id)
        .outerjoin(LeadScore, LeadScore.lead_id == Lead.id)
        .where(*_open_leads_in(window))
        .group_by(Lead.owner_staff_id, StaffUser.name)
    ).all()
    owners = [
        {
            "owner": {"id": owner_id, "name": name} if owner_id is not None else None,
            "leads": int(leads),
            "scored": int(scored),
            "expected_wins": round(float(wins or 0.0), 2),
            "mean_probability": round(float(wins) / scored, 4) if scored else None,
        }
        for owner_id, name, leads, scored, wins in rows
    ]
    return sorted(owners, key=lambda o: (-o["expected_wins"], -o["leads"]))


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
