"""`action_handoff`: the conversation goes to a person.

The owner becomes `queued_for_agent`, a handoff record keeps reason, intent and
confidence, and a ticket is opened when the customer has none open, so the request is
tracked even if nobody is at the desk. The bot (bot/handoffs/service.py) then builds the context
packet for the agent desk from the `handoff_id` slot this action sets.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.orm import Session

from actions.context import Caller
from actions.store import StoreAction, in_transaction
from crm_store import Database
from crm_store.person_queue import queue_for_person
from crm_store.records import HandoffRecord
from crm_store.vocabulary import HandoffReason

HANDOFF_REASON = "handoff_reason"  # a HandoffReason
_SUBJECTS = {
    HandoffReason.CUSTOMER_ASKED: "Customer asked for a person",
    HandoffReason.NOT_UNDERSTOOD: "The bot could not understand the customer",
    HandoffReason.NOT_IN_HELP_CENTRE: "A question the help centre does not cover",
    HandoffReason.COMPLAINT: "Complaint",
}
ALREADY_WAITING = "You're already in the queue for a person. They'll see this message too."


def _always_soon(now: datetime) -> str:
    return "A person from our team will reply here shortly."


class ActionHandoff(StoreAction):
    def __init__(
        self, database: Database, availability: Callable[[datetime], str] = _always_soon
    ) -> None:
        super().__init__(database)
        self._availability = availability

    def name(self) -> str:
        return "action_handoff"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        caller = Caller.of(tracker)
        if caller.customer_id is None or caller.conversation_id is None:
            dispatcher.utter_message(text="Sorry, I couldn't reach the team just now.")
            return []
        reason = str(tracker.get_slot(HANDOFF_REASON) or HandoffReason.CUSTOMER_ASKED)
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        confidence = (tracker.latest_message.get("intent") or {}).get("confidence")
        customer_id, conversation_id = caller.customer_id, caller.conversation_id

        def queue(session: Session) -> tuple[HandoffRecord, bool]:
            return queue_for_person(
                session,
                conversation_id=conversation_id,
                customer_id=customer_id,
                reason=reason,
                intent=intent,
                confidence=confidence,
                summary=_SUBJECTS.get(reason, reason),
                ticket_subject=_SUBJECTS.get(reason, "Handed to a person"),
                ticket_description=f"Handed over from the {caller.channel} conversation "
                f"#{conversation_id}.",
            )

        handoff, new = await in_transaction(self._db, queue)
        if new:
            dispatcher.utter_message(
                text=f"I'm passing you to a person. {self._availability(datetime.now(UTC))} "
                "They'll see this conversation, so there's no need to repeat anything."
            )
        else:  # asked again (or twice at once): still the one handoff, and one card
            dispatcher.utter_message(text=ALREADY_WAITING)
        return [SlotSet("handoff_id", handoff.id), SlotSet(HANDOFF_REASON, None)]
