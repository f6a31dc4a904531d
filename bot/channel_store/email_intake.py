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
"""

from __future__ import annotations

import dataclasses
from datetime import timedelta

from anyio import to_thread

from channels.messages import InboundMessage, IntakeResult
from channels.ports import MessageIntake
from crm_store import Database, customers, outbox, receipts
from crm_store.base import utcnow
from crm_store.customers import normalise_email

_HOUR = timedelta(hours=1)


class EmailIntake:
    """A `MessageIntake` for mail, in front of the conversation engine."""

    def __init__(
        self,
        engine: MessageIntake,
        database: Database,
        *,
        max_replies_per_hour: int,
        unverified_replies_per_hour: int = 10,
    ):
        self._engine = engine
        self._db = database
        self._cap = max_replies_per_hour
        self._unverified_cap = unverified_replies_per_hour

    async def receive(self, message: InboundMessage) -> IntakeResult:
        address = normalise_email(message.address) or message.address
        message = dataclasses.replace(message, address=address)
        if message.no_reply_reason is None:
            reason = await to_thread.run_sync(self._over_cap, message)
            if reason is not None:
                message = dataclasses.replace(message, no_reply_reason=reason)
        return await self._engine.receive(message)

    def _over_cap(self, message: InboundMessage) -> str | None:
        channel = message.channel.value
        since = utcnow() - _HOUR
        with self._db.transaction() as session:
            if receipts.find_receipt(session, channel, message.provider_message_id):
                return None  # a repeat: the engine returns what it did the first time
            sent = outbox.automatic_replies_since(session, channel, message.address, since)
            if sent >= self._cap:
                return (
                    f"reply limit: {self._cap} automatic replies to this address in the last hour"
                )
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
