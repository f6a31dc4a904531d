"""A conversation with a dialogue, held the way the engine holds it, without the engine:
each `say` builds the `Turn` (customer, identity, the scripted understanding NLU would
have produced, the slots kept from the last turn, the history up to this message), asks
the dialogue, and keeps the slots it left and the replies it gave.

Callers differ in what their channel proves about them (`action_runner.is_verified`):
a signed-in widget visitor, an SMS from the carrier's number and mail from the address
on file are verified; an anonymous visitor, and anyone without an identity, are not.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from bot.conversation.dialogue import Dialogue, Reply, Turn, Understanding
from crm_store.records import (
    ConversationRecord,
    CustomerRecord,
    IdentityRecord,
    InteractionRecord,
)
from tests.support.customers import ADA_LOVELACE

ADA_EMAIL = ADA_LOVELACE.email
ADA = CustomerRecord(
    id=1,
    name=ADA_LOVELACE.name,
    email=ADA_EMAIL,
    phone=None,
    lifecycle_stage="customer",
    account_id=1,
    attributes={},
    created_at=datetime(2026, 1, 5, tzinfo=UTC),
)


@dataclass(frozen=True)
class Caller:
    """Who writes, on which channel, and the identity the channel gave them."""

    channel: str
    identity: IdentityRecord | None
    customer: CustomerRecord = ADA


def _identity(channel: str, address: str, *, verified: bool) -> IdentityRecord:
    return IdentityRecord(1, ADA.id, channel, address, verified)


SIGNED_IN_VISITOR = Caller("web", _identity("web", ADA_EMAIL, verified=True))
ANONYMOUS_VISITOR = Caller("web", _identity("web", "session-7f3a", verified=False))
CARRIER_NUMBER = Caller("sms", _identity("sms", ADA_LOVELACE.phone or "", verified=True))
MAIL_FROM_ADDRESS_ON_FILE = Caller("email", _identity("email", ADA_EMAIL, verified=False))
MAIL_FROM_ANOTHER_ADDRESS = Caller(
    "email", _identity("email", "ada@elsewhere.test", verified=False)
)
NO_IDENTITY = Caller("web", None)
STAFF_IN_SLACK = Caller("slack", _identity("slack", "U0SALES", verified=True))


class Chat:
    """One conversation between `caller` and `dialogue`, turn after turn."""

    def __init__(self, dialogue: Dialogue, caller: Caller = SIGNED_IN_VISITOR) -> None:
        self.dialogue = dialogue
        self.caller = caller
        self.slots: dict[str, Any] = {}
        self.history: list[InteractionRecord] = []
        self.conversation = ConversationRecord(
            id=7,
            customer_id=caller.customer.id,
            identity_id=caller.identity.id if caller.identity else 0,
            channel=caller.channel,
            owner="bot",
            status="open",
            assigned_staff_id=None,
            last_seq=0,
        )

    async def say(
        self,
        text: str,
        intent: str | None = None,
        confidence: float = 0.93,
        entities: list[dict[str, Any]] | None = None,
        language: str | None = None,
    ) -> list[Reply]:
        """The customer writes `text`, which NLU understood as `intent` (None: NLU off),
        in `language` (None: too short to tell)."""
        understood = (
            Understanding(intent, confidence, entities or [], language=language) if intent else None
        )
        message = self._logged("customer", text, intent, confidence if intent else None)
        turn = Turn(
            self.caller.customer,
            self.conversation,
            message,
            list(self.history),
            understood,
            identity=self.caller.identity,
            slots=dict(self.slots),
        )
        replies = await self.dialogue.respond(turn)
        self.slots = turn.slots
        for reply in replies:
            self._logged("bot", reply.text, reply.intent, reply.confidence)
        return replies

    async def texts(
        self,
        text: str,
        intent: str | None = None,
        confidence: float = 0.93,
        entities: list[dict[str, Any]] | None = None,
    ) -> list[str]:
        """Like `say`, the reply texts only."""
        return [reply.text for reply in await self.say(text, intent, confidence, entities)]

    def _logged(
        self, author: str, text: str, intent: str | None, confidence: float | None
    ) -> InteractionRecord:
        record = InteractionRecord(
            id=len(self.history) + 1,
            conversation_id=self.conversation.id,
            customer_id=self.caller.customer.id,
            seq=len(self.history) + 1,
            direction="in" if author == "customer" else "out",
            author=author,
            channel=self.caller.channel,
            text=text,
            provider_message_id=None,
            intent=intent,
            confidence=confidence,
            sources=[],
            in_reply_to_id=None,
            delivery_status=None,
            attributes={},
            created_at=datetime.now(UTC),
        )
        self.history.append(record)
        return record


def entity(name: str, value: str, text: str) -> dict[str, Any]:
    """An entity named `name` whose value appears in `text`."""
    start = text.index(value)
    return {"entity": name, "value": value, "start": start, "end": start + len(value)}
