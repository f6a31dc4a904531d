"""`action_account_summary`: an account summary for sales staff, as chat text.

Only a caller whose `sb_staff_role` slot is sales or admin gets one (Switchboard sets it
for staff it has mapped, in Slack); anyone else is refused with the same words whether
or not the account exists.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.orm import Session

from actions.context import Caller, entity_value
from actions.store import StoreAction, in_transaction
from crm_store.staff import SUMMARY_ROLES
from crm_store.summary_lookup import Candidates, NoMatch, lookup_summary
from crm_store.summary_text import render_summary_text

REFUSED = "I can't share account information here."


class ActionAccountSummary(StoreAction):
    def name(self) -> str:
        return "action_account_summary"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        caller = Caller.of(tracker)
        if caller.staff_role not in SUMMARY_ROLES:
            dispatcher.utter_message(text=REFUSED)
            return []
        query = next(
            (v for v in (entity_value(tracker, e) for e in ("account", "email", "phone")) if v),
            None,
        )
        if query is None:
            dispatcher.utter_message(text="Whose summary? Give an account name, email or phone.")
            return []

        def summarise(session: Session) -> str:
            found = lookup_summary(session, query)
            if isinstance(found, NoMatch):
                close = " or ".join(s.label for s in found.suggestions)  # labels hold commas
                nothing = f"I found no account or customer matching “{query}”."
                return f"{nothing} Did you mean {close}?" if close else nothing
            if isinstance(found, Candidates):
                names = "\n".join(f"- {s.label} ({s.kind})" for s in found.subjects[:10])
                return f"“{query}” could mean several:\n{names}\nWhich one?"
            return render_summary_text(found.summary)

        dispatcher.utter_message(text=await in_transaction(self._db, summarise))
        return []
