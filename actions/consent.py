"""`action_opt_out` / `action_opt_in`: a customer's consent to messages, per channel.

On SMS and email, opting out stops every message to that address from then on,
enforced at delivery (bot/delivery/worker.py) for bot, agent and campaign messages alike; only
the confirmation goes out. In the web chat, which only ever answers the visitor, the
choice is recorded as their consent to marketing. (SMS keywords such as STOP never
reach here: the SMS adapter handles them without NLU.)
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.orm import Session

from actions.context import Caller
from actions.store import StoreAction, in_transaction
from crm_store import consents, customers, history

# Channels where an opt-out means "send me nothing more here".
_MESSAGE_CHANNELS = ("sms", "email")
_CONFIRM = {
    ("opted_out", True): "Done: you won't get any more messages from us here. "
    "Write to us any time if you need help.",
    ("opted_out", False): "Done: we won't send you marketing messages. This chat still "
    "answers whenever you write.",
    ("opted_in", True): "Done: you'll get our messages here again.",
    ("opted_in", False): "Done: you're signed up for our news and offers again.",
}


class _ConsentAction(StoreAction):
    status = ""

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        caller = Caller.of(tracker)
        conversation_id = caller.conversation_id
        if conversation_id is None:
            dispatcher.utter_message(text="Sorry, I couldn't record that. Please try again.")
            return []
        blocking = caller.channel in _MESSAGE_CHANNELS

        def record(session: Session) -> None:
            conversation = history.get_conversation(session, conversation_id)
            assert conversation is not None
            identity = customers.get_identity(session, conversation.identity_id)
            assert identity is not None
            consents.record_consent(
                session,
                channel=identity.channel,
                address=identity.address,
                decision=consents.WITHDRAWN if self.status == "opted_out" else consents.GRANTED,
                means="conversation",
                source=f"asked in {identity.channel} conversation #{conversation_id}",
                customer_id=conversation.customer_id,
                purposes=consents.PURPOSES if blocking else (consents.MARKETING,),
                wording=_CONFIRM[(self.status, blocking)],
            )

        await in_transaction(self._db, record)
        dispatcher.utter_message(text=_CONFIRM[(self.status, blocking)])
        return []


class ActionOptOut(_ConsentAction):
    status = "opted_out"

    def name(self) -> str:
        return "action_opt_out"


class ActionOptIn(_ConsentAction):
    status = "opted_in"

    def name(self) -> str:
        return "action_opt_in"
