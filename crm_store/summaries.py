"""Account summaries for sales: an account with all its contacts, or one customer.

Eight short queries, each on an index: the subject, its contacts, two on orders, two on
tickets, one on the interaction history, one on leads (and a ninth, the contacts'
stages, for an account of more than 50 contacts). A customer's summary covers that
customer only (its account is named, not summed up).

Decisions:
- Lifetime value (`lifetime_value`, shown as "Lifetime spend") is what was spent so
  far, per currency (no exchange rates in the store): not the dashboard's predicted
  lifetime value (analytics/README.md), hence the label. Cancelled and returned orders
  count neither in the value nor in the order count.
- "Recently closed" means solved or closed and last changed within 30 days.
- At risk: the lifecycle stage shown is at_risk or lapsed (silent past the store's
  learned threshold, analytics/README.md "Lifecycle stages": a summary must not say
  "Stage: at_risk" beside "not at risk"), the last purchase is more than 180 days old
  (a contact that never bought is not flagged: it is a lead, not a customer slipping
  away), or three or more tickets were opened in the last 30 days. Each reason is given
  in words.
- The account's lifecycle stage is the most engaged of its contacts' (visitor < lead <
  opportunity < lapsed < at risk < customer < repeat: anyone who bought is ahead of
  anyone who did not, and a buyer still buying ahead of one going quiet); churned only
  when every contact has churned.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from crm_store.base import utcnow
from crm_store.errors import NotFound
from crm_store.models import (
    Account,
    Customer,
    Interaction,
    Lead,
    LeadScore,
    Order,
    StaffUser,
    Ticket,
)
from crm_store.orders import NOT_PURCHASES
from crm_store.subjects import find_subjects, subject_label
from crm_store.summary_records import (
    AccountLine,
    AccountSummary,
    ChannelActivity,
    Contact,
    CurrencyTotal,
    OpenLead,
    Purchase,
    SummarySubject,
    TicketLine,
)
from crm_store.summary_text import render_summary_text
from crm_store.vocabulary import CLOSED_TICKET_STATUSES, OPEN_TICKET_STATUSES

__all__ = [
    "AccountSummary",
    "SummarySubject",
    "account_summary",
    "find_subjects",
    "render_summary_text",
]

OPEN_LEADS = ("new", "contacted", "qualified")
# Open leads in the order sales should call them (joined with lead_scores): the last
# lead scoring's best chance first, then the leads opened since, newest first.
BEST_CHANCE_FIRST = (
    LeadScore.probability.is_(None),
    LeadScore.probability.desc(),
    Lead.created_at.desc(),
    Lead.id.desc(),
)
STAGE_ORDER = ("visitor", "lead", "opportunity", "lapsed", "at_risk", "customer", "repeat")
SILENT_STAGES = ("at_risk", "lapsed")  # a buyer gone quiet (analytics/README.md)
AT_RISK_AFTER = timedelta(days=180)
TICKET_WINDOW = timedelta(days=30)
TICKETS_AT_RISK = 3
ACTIVITY_WINDOW = timedelta(days=90)
MAX_CONTACTS = 50
MAX_TICKET_LINES = 20


def account_summary(
    session: Session,
    *,
    account_id: int | None = None,
    customer_id: int | None = None,
    now: datetime | None = None,
) -> AccountSummary:
    """The summary of one account or one customer; `NotFound` if there is no such one."""
    if (account_id is None) == (customer_id is None):
        raise ValueError("give exactly one of account_id and customer_id")
    now = now or utcnow()
    account, subject, members = _subject(session, account_id, customer_id)
    contacts, contacts_total = _contacts(session, members(Customer.id))
    stages = [c.lifecycle_stage for c in contacts]
    if contacts_total > len(contacts):
        stages = list(
            session.scalars(select(Customer.lifecycle_stage).where(members(Customer.id)).distinct())
        )
    totals, last = _purchases(session, members(Order.customer_id))
    open_lines, closed_lines, counts = _tickets(session, members(Ticket.customer_id), now)
    stage = _stage(stages)
    reasons = []
    if stage in SILENT_STAGES:
        since = f" (last on {last.placed_at:%Y-%m-%d})" if last is not None else ""
        threshold = stage.replace("_", "-")
        reasons.append(
            f"stage {stage}: no purchase for longer than the {threshold} threshold{since}"
        )
    if last is not None and now - last.placed_at > AT_RISK_AFTER:
        reasons.append(f"no purchase in 180 days (last on {last.placed_at:%Y-%m-%d})")
    if counts[2] >= TICKETS_AT_RISK:
        reasons.append(f"{counts[2]} tickets opened in the last 30 days")
    return AccountSummary(
        subject=subject,
        account=account,
        lifecycle_stage=stage,
        contacts=contacts,
        contacts_total=contacts_total,
        lifetime_value=totals,
        order_count=sum(t.orders for t in totals),
        last_purchase=last,
        open_tickets=open_lines,
        open_tickets_total=counts[0],
        recently_closed_tickets=closed_lines,
        recently_closed_total=counts[1],
        tickets_last_30_days=counts[2],
        interactions_last_90_days=_activity(session, members(Interaction.customer_id), now),
        open_leads=_leads(session, members(Lead.customer_id)),
        at_risk=bool(reasons),
        risk_reasons=tuple(reasons),
        generated_at=now,
    )


class _Members:
    """The condition "this customer_id column belongs to the subject"."""

    def __init__(self, account_id: int | None, customer_id: int | None) -> None:
        self.account_id = account_id
        self.customer_id = customer_id

    def __call__(self, column: InstrumentedAttribute[int]) -> ColumnElement[bool]:
        if self.customer_id is not None:
            return column == self.customer_id
        if column is Customer.id:
            return Customer.account_id == self.account_id
        return column.in_(select(Customer.id).where(Customer.account_id == self.account_id))


def _subject(
    session: Session, account_id: int | None, customer_id: int | None
) -> tuple[AccountLine | None, SummarySubject, _Members]:
    if account_id is not None:
        row = session.get(Account, account_id)
        if row is None:
            raise NotFound(f"no account {account_id}")
        line = AccountLine(row.id, row.name, row.domain, row.plan)
        return line, SummarySubject("account", row.id, row.name), _Members(account_id, None)
    found = session.execute(
        select(Customer, Account)
        .outerjoin(Account, Account.id == Customer.account_id)
        .where(Customer.id == customer_id, Customer.pending.is_(False))
    ).one_or_none()
    if found is None:
        raise NotFound(f"no customer {customer_id}")
    customer, acc = found
    line = AccountLine(acc.id, acc.name, acc.domain, acc.plan) if acc is not None else None
    label = subject_label(customer.name, customer.email, customer.phone, acc.name if acc else None)
    return line, SummarySubject("customer", customer.id, label), _Members(None, customer_id)


def _contacts(session: Session, where: ColumnElement[bool]) -> tuple[tuple[Contact, ...], int]:
    rows = session.execute(
        select(
            Customer.id,
            Customer.name,
            Customer.email,
            Customer.phone,
            Customer.lifecycle_stage,
            func.count().over().label("total"),
        )
        .where(where)
        .order_by(Customer.id)
        .limit(MAX_CONTACTS)
    ).all()
    contacts = tuple(Contact(r.id, r.name, r.email, r.phone, r.lifecycle_stage) for r in rows)
    return contacts, rows[0].total if rows else 0


def _purchases(
    session: Session, where: ColumnElement[bool]
) -> tuple[tuple[CurrencyTotal, ...], Purchase | None]:
    counted = and_(where, Order.status.not_in(NOT_PURCHASES))
    totals = session.execute(
        select(Order.currency, func.count(), func.coalesce(func.sum(Order.total_cents), 0))
        .where(counted)
        .group_by(Order.currency)
        .order_by(Order.currency)
    ).all()
    last = session.execute(
        select(
            Order.number,
            Order.customer_id,
            Order.status,
            Order.total_cents,
            Order.currency,
            Order.placed_at,
        )
        .where(counted)
        .order_by(Order.placed_at.desc(), Order.id.desc())
        .limit(1)
    ).one_or_none()
    return (
        tuple(CurrencyTotal(currency, int(n), int(cents)) for currency, n, cents in totals),
        Purchase(*last) if last is not None else None,
    )


def _tickets(
    session: Session, where: ColumnElement[bool], now: datetime
) -> tuple[tuple[TicketLine, ...], tuple[TicketLine, ...], tuple[int, int, int]]:
    since = now - TICKET_WINDOW
    is_open = Ticket.status.in_(OPEN_TICKET_STATUSES)
    closed_lately = and_(Ticket.status.in_(CLOSED_TICKET_STATUSES), Ticket.updated_at >= since)
    counts = session.execute(
        select(
            func.count().filter(is_open),
            func.count().filter(closed_lately),
            func.count().filter(Ticket.created_at >= since),
        ).where(where)
    ).one()
    rows = session.execute(
        select(
            Ticket.number,
            Ticket.customer_id,
            Ticket.subject,
            Ticket.status,
            Ticket.priority,
            Ticket.created_at,
            Ticket.updated_at,
        )
        .where(where, or_(is_open, closed_lately))
        .order_by(Ticket.updated_at.desc(), Ticket.id.desc())
        .limit(4 * MAX_TICKET_LINES)
    ).all()
    lines = [TicketLine(*row) for row in rows]
    open_lines = tuple(t for t in lines if t.status in OPEN_TICKET_STATUSES)[:MAX_TICKET_LINES]
    closed_lines = tuple(t for t in lines if t.status in CLOSED_TICKET_STATUSES)[:MAX_TICKET_LINES]
    return open_lines, closed_lines, (int(counts[0]), int(counts[1]), int(counts[2]))


def _activity(
    session: Session, where: ColumnElement[bool], now: datetime
) -> tuple[ChannelActivity, ...]:
    rows = session.execute(
        select(Interaction.channel, Interaction.direction, func.count())
        .where(where, Interaction.created_at >= now - ACTIVITY_WINDOW)
        .group_by(Interaction.channel, Interaction.direction)
    ).all()
    by_channel: dict[str, dict[str, int]] = {}
    for channel, direction, count in rows:
        by_channel.setdefault(channel, {"in": 0, "out": 0})[direction] = int(count)
    return tuple(
        ChannelActivity(channel, counts["in"], counts["out"])
        for channel, counts in sorted(by_channel.items())
    )


def _leads(session: Session, where: ColumnElement[bool]) -> tuple[OpenLead, ...]:
    """Open leads, the best chance of winning first (the last lead scoring's), then
    unscored ones newest first."""
    rows = session.execute(
        select(
            Lead.id,
            Lead.customer_id,
            Lead.company,
            Lead.interest,
            Lead.status,
            Lead.owner_staff_id,
            StaffUser.name,
            Lead.created_at,
            LeadScore.probability,
            LeadScore.factors,
        )
        .outerjoin(StaffUser, StaffUser.id == Lead.owner_staff_id)
        .outerjoin(LeadScore, LeadScore.lead_id == Lead.id)
        .where(where, Lead.status.in_(OPEN_LEADS))
        .order_by(*BEST_CHANCE_FIRST)
    ).all()
    return tuple(
        OpenLead(*row[:8], win_probability=row[8], top_factors=tuple(row[9] or ())) for row in rows
    )


def _stage(stages: list[str]) -> str:
    if not stages:
        return "visitor"
    live = [s for s in stages if s != "churned"]
    if not live:
        return "churned"
    return max(live, key=lambda s: STAGE_ORDER.index(s) if s in STAGE_ORDER else -1)
