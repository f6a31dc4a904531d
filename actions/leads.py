"""Leads: `lead_form` collects name, email, company and interest; `action_capture_lead`
creates or updates the lead, moves the customer to the `lead` stage and gives the lead
an owner, round robin among active sales staff."""

from __future__ import annotations

from typing import Any

from email_validator import EmailNotValidError, validate_email
from rasa_sdk import FormValidationAction, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from actions.context import Caller
from actions.store import StoreAction, in_transaction
from crm_store.customers import normalise_email
from crm_store.models import Customer, Lead, StaffUser

_FORM_SLOTS = ("lead_name", "lead_email", "lead_company", "lead_interest")
# Stages a lead capture never moves a customer back from.
_LATER_STAGES = ("opportunity", "customer")


class ValidateLeadForm(FormValidationAction):
    def name(self) -> str:
        return "validate_lead_form"

    def validate_lead_name(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Any
    ) -> dict[str, Any]:
        name = " ".join(str(value or "").split())
        if not 1 < len(name) <= 200:
            dispatcher.utter_message(text="Sorry, what name should we use?")
            return {"lead_name": None}
        return {"lead_name": name}

    def validate_lead_email(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Any
    ) -> dict[str, Any]:
        try:
            checked = validate_email(str(value or "").strip(), check_deliverability=False)
        except EmailNotValidError:
            dispatcher.utter_message(
                text="That doesn't look like an email address. Could you type it again, "
                "like name@company.com?"
            )
            return {"lead_email": None}
        return {"lead_email": normalise_email(checked.normalized)}

    def validate_lead_company(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Any
    ) -> dict[str, Any]:
        company = " ".join(str(value or "").split())
        if not company:
            dispatcher.utter_message(text="Which company is it?")
            return {"lead_company": None}
        return {"lead_company": company[:200]}

    def validate_lead_interest(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Any
    ) -> dict[str, Any]:
        interest = str(value or "").strip()
        if len(interest) < 3:
            dispatcher.utter_message(text="Tell me a little about what you're looking for.")
            return {"lead_interest": None}
        return {"lead_interest": interest}


def next_sales_owner(session: Session) -> StaffUser | None:
    """Round robin: the active sales person who was given a lead least recently."""
    last_given = (
        select(Lead.owner_staff_id, func.max(Lead.id).label("last_id"))
        .group_by(Lead.owner_staff_id)
        .subquery()
    )
    return session.scalars(
        select(StaffUser)
        .outerjoin(last_given, last_given.c.owner_staff_id == StaffUser.id)
        .where(StaffUser.role == "sales", StaffUser.active.is_(True))
        .order_by(func.coalesce(last_given.c.last_id, 0), StaffUser.id)
        .limit(1)
    ).first()


class ActionCaptureLead(StoreAction):
    def name(self) -> str:
        return "action_capture_lead"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        caller = Caller.of(tracker)
        customer_id = caller.customer_id
        values = {slot: tracker.get_slot(slot) for slot in _FORM_SLOTS}
        if customer_id is None or not all(values.values()):
            dispatcher.utter_message(text="Sorry, I couldn't save that. Please try again.")
            return []

        def capture(session: Session) -> str | None:
            customer = session.get(Customer, customer_id)
            assert customer is not None
            customer.name = customer.name or values["lead_name"]
            # A typed address is a claim, not a proof: it is kept for sales to write to,
            # never as the customer's email on file (that would link their mail to it).
            customer.attributes = {
                **(customer.attributes or {}),
                "lead_email": values["lead_email"],
            }
            if customer.lifecycle_stage not in _LATER_STAGES:
                customer.lifecycle_stage = "lead"
            lead = session.scalars(
                select(Lead)
                .where(Lead.customer_id == customer_id, Lead.status.in_(("new", "contacted")))
                .order_by(Lead.id.desc())
                .limit(1)
            ).first()
            if lead is None:
                owner = next_sales_owner(session)
                lead = Lead(
                    customer_id=customer_id,
                    account_id=customer.account_id,
                    owner_staff_id=owner.id if owner else None,
                    source_channel=caller.channel or None,
                )
                session.add(lead)
            lead.company = values["lead_company"]
            lead.interest = values["lead_interest"]
            session.flush()
            owner_row = session.get(StaffUser, lead.owner_staff_id) if lead.owner_staff_id else None
            return owner_row.name if owner_row else None

        owner_name = await in_transaction(self._db, capture)
        who = f"{owner_name.split(' ')[0]} from our sales team" if owner_name else "Our sales team"
        dispatcher.utter_message(
            text=f"Thanks, {values['lead_name']}! {who} will email you at "
            f"{values['lead_email']} within one business day."
        )
        return [SlotSet(slot, None) for slot in _FORM_SLOTS]
