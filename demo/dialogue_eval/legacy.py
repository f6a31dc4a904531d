"""The legacy reader: a route derived from what the bot stored before the router wrote
`attributes["route"]` (issue 14). Used ONLY for a reply without `route`, so the
evaluation can print the figures of the bot as it was; the outcome of a message read
this way is flagged `legacy`.

What it reads: the reply's `intent` (the dialogue stored the intent that routed it, a
form's name while a form runs, `nlu_fallback` for a miss), `attributes.handoff_id` (a
handoff was opened), `sources` (before the router, a miss stored the passages it tried
as sources too, so they count as cited only when the reply is the knowledge base's
answer, not its "no good answer" text).
"""

from __future__ import annotations

from typing import Any

from actions.domain import FORMS
from crm_store.records import InteractionRecord
from knowledge.answers import FALLBACK_TEXT

_ACTIONS = {
    "order_status": "action_order_status",
    "ticket_status": "action_ticket_status",
    "opt_out": "action_opt_out",
    "opt_in": "action_opt_in",
    "account_summary": "action_account_summary",
}
_SMALL_TALK = frozenset({"greet", "thanks", "goodbye", "affirm", "deny", "form_cancelled"})
# Replies of the old dialogue that are not answers even when passages were tried: the
# knowledge base's "no good answer", the complaint's apology, the second-miss offer.
_NOT_ANSWERS = (FALLBACK_TEXT, "I'm sorry to hear that.", "Sorry, I'm still not getting it")


def legacy_route(reply: InteractionRecord) -> dict[str, Any]:
    intent = reply.intent or ""
    rule = f"legacy:{intent or 'none'}"
    if intent == "talk_to_human":
        if isinstance(reply.attributes.get("handoff_id"), int):
            return {"decision": "handover", "rule": rule}
        return {"decision": "offer", "rule": rule}
    if intent in _ACTIONS:
        return {"decision": "action", "rule": rule, "action": _ACTIONS[intent]}
    if intent in FORMS:
        return {"decision": "form", "rule": rule, "action": intent}
    if intent in _SMALL_TALK:
        return {"decision": "small_talk", "rule": rule}
    if intent == "update_contact":  # the refusal to an unverified sender, offering a person
        return {"decision": "offer", "rule": rule}
    cited = [s["source"] for s in reply.sources if isinstance(s, dict) and s.get("source")]
    if cited and not reply.text.startswith(_NOT_ANSWERS):
        return {"decision": "answer", "rule": rule, "articles": cited}
    if intent == "complaint" or reply.text.startswith(_NOT_ANSWERS[2]):
        return {"decision": "offer", "rule": rule}
    return {"decision": "fallback", "rule": rule}
