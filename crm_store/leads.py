"""Leads: a customer's interest in buying, and the salesperson who owns it.

A new lead gets an owner round robin among active sales staff; a lead still being
worked (`new` or `contacted`) is updated by a later capture rather than duplicated.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crm_store import webhooks
from crm_store.base import utcnow
from crm_store.errors import NotFound
from crm_store.event_log import record_event
from crm_store.lifecycle import BUYER_STAGES
from crm_store.models import Customer, Lead, StaffUser
from crm_store.records import LeadRecord, StaffRecord
from crm_store.staff import staff_record

OPEN_STATUSES = ("new", "contacted")
# Stages a lead capture never moves a customer back from: an opportunity, and anyone who
# bought (crm_store/lifecycle.py: a customer is never moved back to `lead`).
LATER_STAGES = ("opportunity", *BUYER_STAGES, "churned")


def lead_record(row: Lead) -> LeadRecord:
    return LeadRecord(
        id=row.id,
        customer_id=row.customer_id,
        account_id=row.account_id,
        company=row.company,
        interest=row.interest,
        status=row.status,
        owner_staff_id=row.owner_staff_id,
        source_channel=row.source_channel,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def next_sales_owner(session: Session) -> StaffRecord | None:
    """Round robin: the active sales person who was given a lead least recently (never
    given one counts as longest ago; ties go to the earliest staff user). None when
    there is no active sales person."""
    last_given = (
        select(Lead.owner_staff_id, func.max(Lead.id).label("last_id"))
        .group_by(Lead.owner_staff_id)
        .subquery()
    )
    row = session.scalars(
        select(StaffUser)
        .outerjoin(last_given, last_given.c.owner_staff_id == StaffUser.id)
        .where(StaffUser.role == "sales", StaffUser.active.is_(True))
        .order_by(func.coalesce(last_given.c.last_id, 0), StaffUser.id)
        .limit(1)
    ).first()
    return staff_record(row) if row is not None else None


def capture_lead(
    session: Session,
    *,
    customer_id: int,
    name: str,
    email: str,
    company: str,
    interest: str,
    source_channel: str | None = None,
) -> tuple[LeadRecord, StaffRecord | None]:
    """Record that a customer wants to hear from sales; returns the lead and its owner.

    The customer keeps a name already on file, moves to the `lead` stage (never back
    from `opportunity` or a stage of someone who bought), and the typed email is kept as
    the `lead_email` attribute: a typed address is a claim, not a proof, so it never
    becomes the email on file (that would link their mail to it). The customer's latest
    open lead takes the new company and interest; without one, a new lead is opened with
    the next sales owner (`next_sales_owner`) and the customer's account.
    """
    customer = session.get(Customer, customer_id)
    if customer is None:
        raise NotFound(f"customer {customer_id}")
    customer.name = customer.name or name
    customer.attributes = {**(customer.attributes or {}), "lead_email": email}
    if customer.lifecycle_stage not in LATER_STAGES and customer.lifecycle_stage != "lead":
        record_event(
            session,
            "lifecycle.changed",
            key=f"{customer_id}:{customer.lifecycle_stage}:lead:{utcnow().isoformat()}",
            actor="bot",
            customer_id=customer_id,
            data={"from": customer.lifecycle_stage, "to": "lead"},
        )
        customer.lifecycle_stage = "lead"
    lead = session.scalars(
        select(Lead)
        .where(Lead.customer_id == customer_id, Lead.status.in_(OPEN_STATUSES))
        .order_by(Lead.id.desc())
        .limit(1)
    ).first()
    created = lead is None
    if lead is None:
        owner = next_sales_owner(session)
        lead = Lead(
            customer_id=customer_id,
            account_id=customer.account_id,
            owner_staff_id=owner.id if owner else None,
            source_channel=source_channel,
        )
        session.add(lead)
    lead.company = company
    lead.interest = interest
    session.flush()
    if created:
        webhooks.emit(
            session,
            "lead.created",
            subject=f"lead:{lead.id}",
            customer_id=customer_id,
            data={
                "lead_id": lead.id,
                "customer_id": customer_id,
                "status": lead.status,
                "owner_staff_id": lead.owner_staff_id,
                "source_channel": lead.source_channel,
            },
        )
    owner_row = session.get(StaffUser, lead.owner_staff_id) if lead.owner_staff_id else None
    return lead_record(lead), staff_record(owner_row) if owner_row is not None else None
