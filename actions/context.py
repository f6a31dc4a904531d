"""What Switchboard tells its actions about the person on the other end, via slots.

The bot (or a Rasa server configured with Switchboard's domain) sets these slots; the
action server trusts its caller, so it must not be reachable from the internet.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from crm_store.vocabulary import HandoffReason

CUSTOMER_ID = "sb_customer_id"
CONVERSATION_ID = "sb_conversation_id"
CHANNEL = "sb_channel"
# True when the channel proves who this is: a signed-in widget visitor, the carrier's
# phone number, mail answered only to the address on file. Claims typed into a chat
# never set it.
IDENTITY_VERIFIED = "sb_identity_verified"
# True when this very message proves its sender is the customer: a signed-in widget
# visitor, the carrier's phone number, mail a trusted receiver authenticated (not mail
# that is merely answered to the address on file). Changing the record needs it.
SENDER_PROVEN = "sb_sender_proven"
STAFF_ROLE = "sb_staff_role"  # set only for staff talking to the bot (Slack)
# Set when a reply offered a person: the dialogue takes the next "yes" as accepting.
OFFER_REASON = "offer_reason"
CONTEXT_SLOTS = (
    CUSTOMER_ID,
    CONVERSATION_ID,
    CHANNEL,
    IDENTITY_VERIFIED,
    SENDER_PROVEN,
    STAFF_ROLE,
)


@dataclass(frozen=True, slots=True)
class Caller:
    customer_id: int | None
    conversation_id: int | None
    channel: str
    verified: bool
    staff_role: str | None
    proven: bool = False

    @classmethod
    def of(cls, tracker: Tracker) -> Caller:
        def as_int(name: str) -> int | None:
            value = tracker.get_slot(name)
            try:
                return int(value) if value is not None else None
            except (TypeError, ValueError):
                return None

        return cls(
            customer_id=as_int(CUSTOMER_ID),
            conversation_id=as_int(CONVERSATION_ID),
            channel=str(tracker.get_slot(CHANNEL) or ""),
            # Only a real true: a caller sending "false" or "no" is not verified.
            verified=tracker.get_slot(IDENTITY_VERIFIED) is True,
            staff_role=tracker.get_slot(STAFF_ROLE),
            proven=tracker.get_slot(SENDER_PROVEN) is True,
        )


def entity_value(tracker: Tracker, name: str) -> str | None:
    """The first value of entity `name` in the latest message."""
    for entity in tracker.latest_message.get("entities") or []:
        if entity.get("entity") == name and entity.get("value") not in (None, ""):
            return str(entity["value"])
    return None


NOT_VERIFIED = (
    "For your privacy I can only share order and ticket details once I know it's you. "
    "Sign in on our website and open the chat there, or text us from the phone number "
    "on your account. If you'd like a person to help, just say so."
)


def offered_a_person(reason: str = HandoffReason.CUSTOMER_ASKED) -> list[dict[str, Any]]:
    """The events of a reply that ends "If you'd like a person to help, just say so"."""
    return [SlotSet(OFFER_REASON, reason)]


def verified_customer(tracker: Tracker, dispatcher: CollectingDispatcher) -> int | None:
    """The caller's customer id when the channel proved who they are; otherwise None,
    after telling them how to prove it (the caller then returns `offered_a_person()`)."""
    caller = Caller.of(tracker)
    if caller.customer_id is None or not caller.verified:
        dispatcher.utter_message(text=NOT_VERIFIED)
        return None
    return caller.customer_id
