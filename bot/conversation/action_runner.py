"""Runs Switchboard's rasa-sdk actions in-process with the JSON action call Rasa sends.

The tracker is built from the turn: the conversation id as sender, the conversation's
slots plus the caller's context slots (customer, channel, whether the channel proves
who this is), the latest message with its intent and entities, and, for form
validation, the slot candidates as trailing `slot` events (as Rasa's form loop does).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from rasa_sdk.executor import ActionExecutor

from actions import context
from actions.domain import domain
from bot.conversation.dialogue import Turn

RASA_VERSION = "3.6.21"  # the Rasa version whose action-call shape this follows


@dataclass(frozen=True, slots=True)
class ActionOutcome:
    texts: list[str]
    slots: dict[str, Any] = field(default_factory=dict)  # SlotSet events, in order
    events: list[dict[str, Any]] = field(default_factory=list)


def is_verified(turn: Turn) -> bool:
    """Does the channel prove who this is? An identity the channel proved (a signed-in
    widget visitor, the carrier's phone number), or mail that is answered only to the
    address on file; the local terminal. A name or email typed into a chat never counts."""
    identity = turn.identity
    if identity is None or turn.customer.pending:
        return False
    if identity.verified or identity.channel == "terminal":
        return True
    return identity.channel == "email" and identity.address == turn.customer.email


# Channels whose sender is proven message by message (a mail's Authentication-Results),
# never once for all: an address verified by an earlier mail proves nothing of the next.
_PROVEN_PER_MESSAGE = frozenset({"email"})


def proves_sender(turn: Turn) -> bool:
    """Does this very message prove it comes from the customer? Needed to change the
    record (contact details): an identity the channel proves for good (a signed-in
    widget visitor, the carrier's phone number), a message the channel authenticated
    (mail a trusted receiver vouched for), the local terminal. Mail that is merely
    answered to the address on file does not: anyone can write any From address."""
    identity = turn.identity
    if identity is None or turn.customer.pending:
        return False
    if identity.channel == "terminal" or turn.authenticated:
        return True
    return identity.verified and identity.channel not in _PROVEN_PER_MESSAGE


def context_slots(turn: Turn) -> dict[str, Any]:
    return {
        context.CUSTOMER_ID: turn.customer.id,
        context.CONVERSATION_ID: turn.conversation.id,
        context.CHANNEL: turn.conversation.channel,
        context.IDENTITY_VERIFIED: is_verified(turn),
        context.SENDER_PROVEN: proves_sender(turn),
        context.STAFF_ROLE: None,
    }


def action_call(
    name: str,
    turn: Turn,
    slots: dict[str, Any],
    *,
    candidates: dict[str, Any] | None = None,
    active_loop: str | None = None,
) -> dict[str, Any]:
    understood = turn.understanding
    latest: dict[str, Any] = {
        "text": turn.message.text,
        "intent": {"name": understood.intent, "confidence": understood.confidence}
        if understood
        else {},
        "entities": list(understood.entities) if understood else [],
    }
    now = time.time()
    events: list[dict[str, Any]] = [
        {"event": "user", "timestamp": now, "text": turn.message.text, "parse_data": latest}
    ]
    events += [
        {"event": "slot", "timestamp": now, "name": slot, "value": value}
        for slot, value in (candidates or {}).items()
    ]
    return {
        "next_action": name,
        "sender_id": str(turn.conversation.id),
        "version": RASA_VERSION,
        "domain": domain(),
        "tracker": {
            "sender_id": str(turn.conversation.id),
            "slots": {**slots, **(candidates or {}), **context_slots(turn)},
            "latest_message": latest,
            "events": events,
            "paused": False,
            "followup_action": None,
            "active_loop": {"name": active_loop} if active_loop else {},
            "latest_action_name": "action_listen",
        },
    }


class ActionRunner:
    def __init__(self, executor: ActionExecutor) -> None:
        self._executor = executor

    async def run(
        self,
        name: str,
        turn: Turn,
        slots: dict[str, Any],
        *,
        candidates: dict[str, Any] | None = None,
        active_loop: str | None = None,
    ) -> ActionOutcome:
        call = action_call(name, turn, slots, candidates=candidates, active_loop=active_loop)
        result = await self._executor.run(call)
        if result is None:
            return ActionOutcome([])
        texts = [r["text"] for r in result.responses if r.get("text")]
        slot_events = {e["name"]: e.get("value") for e in result.events if e.get("event") == "slot"}
        return ActionOutcome(texts, slot_events, list(result.events))
