"""`action_order_status`: an order from the store, only the caller's own."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.context import entity_value, offered_a_person, verified_customer
from actions.store import StoreAction, in_transaction
from crm_store import orders
from crm_store.records import OrderRecord

# Set to 0 when the caller has no orders, so the dialogue can leave out "I don't see any
# orders" under an article that already answered a general question about orders.
ORDERS_ON_FILE = "orders_on_file"

_STATUS_WORDS = {
    "placed": "has been placed and is being prepared",
    "processing": "is being prepared",
    "shipped": "is on its way",
    "delivered": "was delivered",
    "delayed": "is delayed",
    "cancelled": "was cancelled",
    "returned": "was returned",
}


def describe_order(order: OrderRecord) -> str:
    status = _STATUS_WORDS.get(order.status, f"is {order.status}")
    text = f"Order {order.number} {status}"
    if order.status == "delivered":
        text += f" (last update {order.updated_at:%d %b %Y})"
    text += "."
    if order.carrier and order.status in ("shipped", "delayed"):
        text += f" It travels with {order.carrier}"
        text += f": {order.tracking_url}" if order.tracking_url else "."
    return text


class ActionOrderStatus(StoreAction):
    def name(self) -> str:
        return "action_order_status"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        customer_id = verified_customer(tracker, dispatcher)
        if customer_id is None:
            return offered_a_person()
        number = entity_value(tracker, "order_number")
        if number is not None:
            order = await in_transaction(
                self._db, lambda s: orders.order_of_customer(s, customer_id, number)
            )
            recent: list[OrderRecord] = []
        else:
            order = None
            recent = await in_transaction(
                self._db, lambda s: orders.recent_orders_of(s, customer_id, limit=3)
            )
        if number is not None:
            # Someone else's order reads exactly like one that does not exist.
            dispatcher.utter_message(
                text=describe_order(order)
                if order is not None
                else f"I can't find an order {number} on your account. Could you check "
                "the number? It's in your order confirmation email."
            )
        elif recent:
            lines = "\n".join(f"- {describe_order(o)}" for o in recent)
            dispatcher.utter_message(text=f"Here are your latest orders:\n{lines}")
        else:
            dispatcher.utter_message(text="I don't see any orders on your account yet.")
            return [SlotSet(ORDERS_ON_FILE, 0)]
        return []
