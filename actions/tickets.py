"""Tickets: `open_ticket_form` collects subject and description, `action_open_ticket`
files it; `action_ticket_status` reports on the caller's own tickets."""

from __future__ import annotations

from typing import Any

from rasa_sdk import FormValidationAction, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.context import Caller, entity_value, offered_a_person, verified_customer
from actions.store import StoreAction, in_transaction
from crm_store import tickets
from crm_store.records import TicketRecord

_MIN_SUBJECT = 3
_MIN_DESCRIPTION = 10


def describe_ticket(ticket: TicketRecord) -> str:
    return f"{ticket.number} “{ticket.subject}” is {ticket.status}"


class ValidateOpenTicketForm(FormValidationAction):
    def name(self) -> str:
        return "validate_open_ticket_form"

    def validate_ticket_subject(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Any
    ) -> dict[str, Any]:
        text = " ".join(str(value or "").split())
        if len(text) < _MIN_SUBJECT:
            dispatcher.utter_message(text="Could you say in a few words what it's about?")
            return {"ticket_subject": None}
        return {"ticket_subject": text[:300]}

    def validate_ticket_description(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Any
    ) -> dict[str, Any]:
        text = str(value or "").strip()
        if len(text) < _MIN_DESCRIPTION:
            dispatcher.utter_message(
                text="A little more detail helps the team: what happened, and when?"
            )
            return {"ticket_description": None}
        return {"ticket_description": text}


class ActionOpenTicket(StoreAction):
    """Files the ticket once the form has subject and description."""

    def name(self) -> str:
        return "action_open_ticket"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        caller = Caller.of(tracker)
        customer_id = caller.customer_id
        subject = tracker.get_slot("ticket_subject")
        description = tracker.get_slot("ticket_description") or ""
        if customer_id is None or not subject:
            dispatcher.utter_message(text="Sorry, I couldn't open the ticket. Please try again.")
            return []
        ticket = await in_transaction(
            self._db,
            lambda s: tickets.open_ticket(
                s,
                customer_id=customer_id,
                subject=subject,
                description=description,
                conversation_id=caller.conversation_id,
            ),
        )
        # Only a caller the channel verified can look tickets up here later.
        later = (
            f" You can ask me about it any time with “status of {ticket.number}”."
            if caller.verified
            else ""
        )
        dispatcher.utter_message(
            text=f"Done: your ticket number is {ticket.number}. Our team will follow up "
            f"here.{later}"
        )
        return [
            SlotSet("ticket_subject", None),
            SlotSet("ticket_description", None),
            SlotSet("last_ticket_number", ticket.number),
        ]


class ActionTicketStatus(StoreAction):
    def name(self) -> str:
        return "action_ticket_status"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        customer_id = verified_customer(tracker, dispatcher)
        if customer_id is None:
            return offered_a_person()
        number = entity_value(tracker, "ticket_number")
        if number is not None:
            ticket = await in_transaction(
                self._db, lambda s: tickets.ticket_of_customer(s, customer_id, number)
            )
            # Someone else's ticket reads exactly like one that does not exist.
            dispatcher.utter_message(
                text=f"Ticket {describe_ticket(ticket)}."
                if ticket is not None
                else f"I can't find a ticket {number.upper()} on your account. "
                "Could you check the number?"
            )
            return []
        mine = await in_transaction(self._db, lambda s: tickets.open_tickets_of(s, customer_id))
        if not mine:
            dispatcher.utter_message(
                text="You have no open tickets. Would you like me to open one?"
            )
            return [SlotSet("offered_form", "open_ticket_form")]
        else:
            lines = "\n".join(f"- {describe_ticket(t)}" for t in mine)
            dispatcher.utter_message(text=f"Your open tickets:\n{lines}")
        return []
