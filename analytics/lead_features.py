"""What lead scoring may know about a lead: values known when the lead was opened.

Every field is read as of the lead's `created_at`, for closed and open leads alike, so
the model learns from the same kind of evidence it later scores with. Fields that are
set or changed only once the outcome is known would leak it into the inputs; they are
listed in `EXCLUDED` with the reason and cannot be configured.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session, aliased

from crm_store.models import Customer, Interaction, Lead, Order
from crm_store.summaries import NOT_PURCHASES

__all__ = [
    "CLOSED_STATUSES",
    "EXCLUDED",
    "FIELDS",
    "LeadFacts",
    "check_fields",
    "lead_facts",
]

CLOSED_STATUSES = ("won", "lost")

# Field -> what it is. All of them are known when the lead is opened.
FIELDS: dict[str, str] = {
    "source_channel": "the channel the lead came in on (web, sms, email, slack; unknown)",
    "owner": "the sales person it was given to at capture (round robin)",
    "company_given": "whether a company name was given",
    "account_known": "whether the customer belonged to an account when the lead was opened",
    "account_size": "contacts of that account on file before the lead (none, 1, 2-4, 5+)",
    "prior_orders": "the customer's purchases before the lead (0, 1, 2+)",
    "messages_before": "messages the customer had sent before the lead (0, 1-2, 3-9, 10+)",
}

# Field -> why it is not an input (each is set or changed after the outcome).
EXCLUDED: dict[str, str] = {
    "status": "it is the outcome itself",
    "stage_reached": "the store keeps only a lead's current status, which for a closed lead "
    "is the outcome (the stages passed through are not recorded)",
    "updated_at": "a closed lead's last change is its closing",
    "lifecycle_stage": "the customer's stage moves to customer when the lead is won",
    "account_plan": "an account's plan is set when it buys",
    "orders_after": "orders placed after the lead was opened are the win itself",
    "messages_after": "sales conversations go on after the close",
}


@dataclass(frozen=True)
class LeadFacts:
    lead_id: int
    status: str
    created_at: datetime
    owner_staff_id: int | None
    values: dict[str, str]  # field -> value, for every field in FIELDS


def check_fields(fields: Sequence[str]) -> tuple[str, ...]:
    """The configured fields, refused with the reason when one would leak the outcome."""
    for name in fields:
        if name in EXCLUDED:
            raise ValueError(f"lead field {name!r} cannot be an input: {EXCLUDED[name]}")
        if name not in FIELDS:
            raise ValueError(f"unknown lead field {name!r}; known: {', '.join(FIELDS)}")
    if not fields:
        raise ValueError("lead scoring needs at least one field")
    return tuple(fields)


def lead_facts(session: Session, statuses: Sequence[str]) -> list[LeadFacts]:
    """Leads with these statuses and the value of every field, oldest first."""
    colleague = aliased(Customer)
    orders_before = (
        select(func.count())
        .where(
            Order.customer_id == Lead.customer_id,
            Order.placed_at < Lead.created_at,
            Order.status.not_in(NOT_PURCHASES),
        )
        .scalar_subquery()
    )
    messages_before = (
        select(func.count())
        .where(
            Interaction.customer_id == Lead.customer_id,
            Interaction.direction == "in",
            Interaction.created_at < Lead.created_at,
        )
        .scalar_subquery()
    )
    account_size = (
        select(func.count())
        .where(
            and_(colleague.account_id == Lead.account_id, colleague.created_at < Lead.created_at)
        )
        .scalar_subquery()
    )
    rows = session.execute(
        select(
            Lead.id,
            Lead.status,
            Lead.created_at,
            Lead.owner_staff_id,
            Lead.source_channel,
            Lead.company,
            Lead.account_id,
            account_size,
            orders_before,
            messages_before,
        )
        .where(Lead.status.in_(statuses))
        .order_by(Lead.created_at, Lead.id)
    )
    return [
        LeadFacts(
            lead_id=lead_id,
            status=status,
            created_at=created_at,
            owner_staff_id=owner,
            values={
                "source_channel": source or "unknown",
                "owner": f"staff {owner}" if owner is not None else "nobody",
                "company_given": "yes" if (company or "").strip() else "no",
                "account_known": "yes" if account_id is not None else "no",
                "account_size": _bucket(contacts if account_id is not None else None, (1, 2, 5)),
                "prior_orders": _bucket(orders, (0, 1, 2)),
                "messages_before": _bucket(messages, (0, 1, 3, 10)),
            },
        )
        for (
            lead_id,
            status,
            created_at,
            owner,
            source,
            company,
            account_id,
            contacts,
            orders,
            messages,
        ) in rows
    ]


def _bucket(count: int | None, edges: tuple[int, ...]) -> str:
    """'none' for no count, else the bucket of `edges` it falls in: (0, 1, 3, 10) gives
    0, 1-2, 3-9, 10+ (a count below the first edge joins the first bucket)."""
    if count is None:
        return "none"
    for low, high in zip(edges, (*edges[1:], None), strict=True):
        if high is None:
            return f"{low}+"
        if count < high:
            return str(low) if high - low == 1 else f"{low}-{high - 1}"
    raise AssertionError("unreachable: the last bucket is open")
