"""Action calls as Rasa 3.6 sends them to an action server, from customer 1 in
conversation 1 on a verified SMS number (Ada in the seeded store,
tests/support/customers.py)."""

from __future__ import annotations

from typing import Any

from actions.context import CHANNEL, CONVERSATION_ID, CUSTOMER_ID, IDENTITY_VERIFIED
from actions.domain import domain


def call(
    action: str,
    text: str,
    *,
    entities: list[dict[str, Any]] | None = None,
    slots: dict[str, Any] | None = None,
    candidates: dict[str, Any] | None = None,
    active_loop: str | None = None,
) -> dict[str, Any]:
    """An action call as Rasa 3.6 sends it to an action server."""
    latest = {"text": text, "intent": {"name": "x", "confidence": 0.9}, "entities": entities or []}
    events: list[dict[str, Any]] = [{"event": "user", "text": text, "parse_data": latest}]
    events += [{"event": "slot", "name": k, "value": v} for k, v in (candidates or {}).items()]
    context = {CUSTOMER_ID: 1, CONVERSATION_ID: 1, CHANNEL: "sms", IDENTITY_VERIFIED: True}
    return {
        "next_action": action,
        "sender_id": "7",
        "version": "3.6.21",
        "domain": domain(),
        "tracker": {
            "sender_id": "7",
            "slots": {**context, **(slots or {}), **(candidates or {})},
            "latest_message": latest,
            "events": events,
            "paused": False,
            "followup_action": None,
            "active_loop": {"name": active_loop} if active_loop else {},
            "latest_action_name": "action_listen",
        },
    }
