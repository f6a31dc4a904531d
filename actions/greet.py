"""`action_greet`: hello, personalised with what the store knows about this customer.

The name is the customer's own record (a claim typed by this visitor never links to
anyone else's). Open tickets and orders on their way are mentioned only to a caller the
channel has verified.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.orm import Session

from actions.context import Caller
from actions.orders import describe_order
from actions.store import StoreAction, in_transaction
from crm_store import customers, orders, tickets

_IN_TRANSIT = ("placed", "processing", "shipped", "delayed")


class ActionGreet(StoreAction):
    def name(self) -> str:
        return "action_greet"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        caller = Caller.of(tracker)
        customer_id = caller.customer_id

        def look(session: Session) -> tuple[str, list[str]]:
            if customer_id is None:
                return "", []
            customer = customers.get_customer(session, customer_id)
            first_name = ((customer.name if customer else None) or "").split(" ")[0]
            if not caller.verified:
                return first_name, []
            notes = []
            for ticket in tickets.open_tickets_of(session, customer_id, limit=1):
                notes.append(
                    f"Your ticket {ticket.number} (“{ticket.subject}”) is {ticket.status}."
                )
            for order in orders.recent_orders_of(session, customer_id, limit=3):
                if order.status in _IN_TRANSIT:
                    notes.append(describe_order(order))
                    break
            return first_name, notes

        first_name, notes = await in_transaction(self._db, look)
        hello = f"Hi {first_name}!" if first_name else "Hi!"
        dispatcher.utter_message(text=" ".join([hello, *notes, "How can I help you today?"]))
        return []
