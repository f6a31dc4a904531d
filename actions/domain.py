"""Switchboard's domain, in Rasa's shape: the slots, forms and responses the actions use.

The bot plays the part of Rasa's dialogue core with it (bot/conversation/forms.py): it
fills a form's requested slot from the customer's message, has the form's validation
action check it, and asks for the next one with `utter_ask_<slot>`.
"""

from __future__ import annotations

from typing import Any

from actions.context import CONTEXT_SLOTS, OFFER_REASON

OPEN_TICKET_FORM = "open_ticket_form"
LEAD_FORM = "lead_form"
CONTACT_FORM = "contact_form"

FORMS: dict[str, dict[str, Any]] = {
    OPEN_TICKET_FORM: {"required_slots": ["ticket_subject", "ticket_description"]},
    LEAD_FORM: {"required_slots": ["lead_name", "lead_email", "lead_company", "lead_interest"]},
    CONTACT_FORM: {"required_slots": ["new_contact", "verification_code"]},
}
# The action that completes each form once every slot is filled.
FORM_SUBMIT_ACTIONS = {
    OPEN_TICKET_FORM: "action_open_ticket",
    LEAD_FORM: "action_capture_lead",
    CONTACT_FORM: "action_update_contact",
}
# Slots filled from an entity of the same meaning when the message has one.
SLOT_ENTITIES = {"lead_email": ("email",), "new_contact": ("email", "phone")}
# Slots the form actions keep between turns (not asked for).
HIDDEN_SLOTS = (
    "handoff_id",
    "handoff_reason",
    "last_ticket_number",
    "offered_form",
    OFFER_REASON,
    "contact_code_hash",
    "contact_code_expires",
    "contact_code_tries",
)

RESPONSES: dict[str, list[dict[str, str]]] = {
    "utter_ask_ticket_subject": [
        {"text": "Sure, I'll open a ticket. In a few words, what is it about?"}
    ],
    "utter_ask_ticket_description": [
        {"text": "Thanks. Now describe the problem: what happened, and what did you expect?"}
    ],
    "utter_ask_lead_name": [{"text": "Happy to help with that. What's your name?"}],
    "utter_ask_lead_email": [{"text": "What email address should our sales team use?"}],
    "utter_ask_lead_company": [{"text": "Which company are you with?"}],
    "utter_ask_new_contact": [{"text": "Sure. What's the new email address or phone number?"}],
    "utter_ask_verification_code": [{"text": "Please type the code here when it arrives."}],
    "utter_ask_lead_interest": [
        {"text": "What are you interested in? A sentence or two is plenty."}
    ],
}


def domain() -> dict[str, Any]:
    """The domain dict sent with every action call (what Rasa would send)."""
    form_slots = {slot for form in FORMS.values() for slot in form["required_slots"]}
    slots: dict[str, Any] = {
        name: {"type": "any", "influence_conversation": False, "mappings": [{"type": "custom"}]}
        for name in (*CONTEXT_SLOTS, *HIDDEN_SLOTS, "requested_slot")
    }
    for name in sorted(form_slots):
        slots[name] = {
            "type": "text",
            "influence_conversation": False,
            "mappings": [{"type": "from_text", "conditions": [{"active_loop": _form_of(name)}]}],
        }
    return {
        "version": "3.1",
        "slots": slots,
        "forms": FORMS,
        "responses": RESPONSES,
        "actions": [],
    }


def _form_of(slot: str) -> str:
    return next(name for name, form in FORMS.items() if slot in form["required_slots"])


def ask_text(slot: str) -> str:
    return RESPONSES[f"utter_ask_{slot}"][0]["text"]
