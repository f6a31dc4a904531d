"""Mail on its way to the engine: the address normalised, the reply caps applied.

The adapter (channels/email) already marks loops (RFC 3834) and whether the sender is
proven. The caps need the store, so they live here:

- when the bot has queued `max_replies_per_hour` automatic replies to a sender within
  the last hour, the next mail is logged with a `no_reply_reason` and not answered;
- mail from an unproven sender not on file (one that will land on a pending contact)
  is answered only while the bot has queued fewer than `unverified_replies_per_hour`
  automatic replies to pending contacts within the last hour, all of them together: a
  forged From cannot turn the support address into a relay that writes to anyone.

Agents' replies do not count and are never held back. Two mails taken in at the same
moment may both pass a cap with one reply left: a cap may be overshot by the mails that
are in flight together, never by more.

A customer's mail held back by the first cap is not left for nobody: the bot may not
answer, so the conversation is queued for a person (handoff reason `reply_limit`, a
ticket if the customer has none open) and the agent desk gets it, as for any handoff;
later mails in it reach the desk as the customer's words while a person has it. A
relay's repeat of the mail queues nothing more. Decided: the second cap does not do
so; it holds back mail from unproven senders not on file, which a forger sends by the
hundred, and a handoff each would flood the desk (they are kept in the history, with
the reason).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable
from datetime import timedelta

from anyio import to_thread

from channels.messages import InboundMessage, IntakeResult
from channels.ports import MessageIntake
from crm_store import Database, customers, history, outbox, receipts
from crm_store.base import utcnow
from crm_store.customers import normalise_email
from crm_store.person_queue import queue_for_person
from crm_store.vocabulary import HandoffReason

_HOUR = timedelta(hours=1)
HELD_BACK = "Mail held back by the hourly reply limit"


class EmailIntake:
    """A `MessageIntake` for mail, in front of the conversation engine."""

    def __init__(
        self,
        engine: MessageIntake,
        database: Database,
        *,
        max_replies_per_hour: int,
        unverified_replies_per_hour: int = 10,
        handoff_opened: Callable[[int], Awaitable[None]] | None = None,
    ):
        """`handoff_opened`: tells the agent desk of a new handoff (the handoff
        service's `opened`, as the engine's handoffs go)."""
        self._engine = engine
        self._db = database
        self._cap = max_replies_per_hour
        self._unverified_cap = unverified_replies_per_hour
        self._handoff_opened = handoff_opened

    async def receive(self, message: InboundMessage) -> IntakeResult:
        address = normalise_email(message.address) or message.address
        message = dataclasses.replace(message, address=address)
        if message.no_reply_reason is None:
            reason = await to_thread.run_sync(self._over_cap, message)
            if reason is not None:
                message = dataclasses.replace(message, no_reply_reason=reason)
        result = await self._engine.receive(message)
        if (
            message.no_reply_reason is not None
            and message.no_reply_reason == self._limit_reason()
            and not result.duplicate
        ):
            handoff_id = await to_thread.run_sync(self._queue_for_person, result.conversation_id)
            if handoff_id is not None and self._handoff_opened is not None:
                await self._handoff_opened(handoff_id)
        return result

    def _limit_reason(self) -> str:
        return f"reply limit: {self._cap} automatic replies to this address in the last hour"

    def _queue_for_person(self, conversation_id: int) -> int | None:
        """The new handoff's id; None when a person has it already (the engine passed
        the mail on to them)."""
        with self._db.transaction() as session:
            conversation = history.get_conversation(session, conversation_id)
            assert conversation is not None  # the engine has just logged the mail in it
            handoff, new = queue_for_person(
                session,
                conversation_id=conversation_id,
                customer_id=conversation.customer_id,
                reason=HandoffReason.REPLY_LIMIT,
                summary=HELD_BACK,
                ticket_subject=HELD_BACK,
                ticket_description=(
                    f"The customer wrote again by mail after {self._cap} automatic replies "
                    f"in an hour; the bot did not answer (conversation #{conversation_id})."
                ),
            )
        return handoff.id if new else None

    def _over_cap(self, message: InboundMessage) -> str | None:
        channel = message.channel.value
        since = utcnow() - _HOUR
        with self._db.transaction() as session:
            if receipts.find_receipt(session, channel, message.provider_message_id):
                return None  # a repeat: the engine returns what it did the first time
            sent = outbox.automatic_replies_since(session, channel, message.address, since)
            if sent >= self._cap:
                return self._limit_reason()
            if not message.address_is_claim or customers.address_on_file(
                session, channel, message.address
            ):
                return None
            to_pending = outbox.automatic_replies_to_pending_since(session, channel, since)
        if to_pending >= self._unverified_cap:
            return (
                f"unverified sender not on file: {self._unverified_cap} automatic replies "
                "to such senders in the last hour"
            )
        return None
