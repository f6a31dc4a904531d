"""Leads: `lead_form` collects name, email, company and interest; `action_capture_lead`
hands them to `crm_store.leads.capture_lead`, which creates or updates the lead, moves
the customer to the `lead` stage and gives the lead an owner, round robin among active
sales staff."""

from __future__ import annotations

from typing import Any

from email_validator import EmailNotValidError, validate_email
from rasa_sdk import FormValidationAction, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.orm import Session

from actions.context import Caller
from actions.store import StoreAction, in_transaction
from crm_store import leads
from crm_store.customers import normalise_email

_FORM_SLOTS = ("lead_name", "lead_email", "lead_company", "lead_interest")
_MAX_NAME_WORDS = 6


class ValidateLeadForm(FormValidationAction):
    def name(self) -> str:
        return "validate_lead_form"

    def validate_lead_name(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Any
    ) -> dict[str, Any]:
        name = " ".join(str(value or "").split())
        # A question or a sentence is not a name ("can I use Siri?"): asked again.
        if not 1 < len(name) <= 200 or "?" in name or len(name.split()) > _MAX_NAME_WORDS:
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
            _, owner = leads.capture_lead(
                session,
                customer_id=customer_id,
                name=values["lead_name"],
                email=values["lead_email"],
                company=values["lead_company"],
                interest=values["lead_interest"],
                source_channel=caller.channel or None,
            )
            return owner.name if owner else None

        owner_name = await in_transaction(self._db, capture)
        who = f"{owner_name.split(' ')[0]} from our sales team" if owner_name else "Our sales team"
        dispatcher.utter_message(
            text=f"Thanks, {values['lead_name']}! {who} will email you at "
            f"{values['lead_email']} within one business day."
        )
        return [SlotSet(slot, None) for slot in _FORM_SLOTS]
