"""Mail on its way to the engine: the address normalised, the hourly reply cap applied.

The adapter (channels/email) already marks loops (RFC 3834). The cap needs the store,
so it lives here: when the bot has queued `max_replies_per_hour` automatic replies to a
sender within the last hour, the next mail is logged with a `no_reply_reason` and not
answered. Agents' replies do not count and are never held back.
"""

from __future__ import annotations

import dataclasses
from datetime import timedelta

from anyio import to_thread

from channels.messages import InboundMessage, IntakeResult
from channels.ports import MessageIntake
from crm_store import Database, outbox, receipts
from crm_store.base import utcnow
from crm_store.customers import normalise_email

_HOUR = timedelta(hours=1)


class EmailIntake:
    """A `MessageIntake` for mail, in front of the conversation engine."""

    def __init__(self, engine: MessageIntake, database: Database, *, max_replies_per_hour: int):
        self._engine = engine
        self._db = database
        self._cap = max_replies_per_hour

    async def receive(self, message: InboundMessage) -> IntakeResult:
        address = normalise_email(message.address) or message.address
        message = dataclasses.replace(message, address=address)
        if message.no_reply_reason is None and await to_thread.run_sync(self._over_cap, message):
            message = dataclasses.replace(
                message,
                no_reply_reason=f"reply limit: {self._cap} automatic replies to this address "
                "in the last hour",
            )
        return await self._engine.receive(message)

    def _over_cap(self, message: InboundMessage) -> bool:
        with self._db.transaction() as session:
            if receipts.find_receipt(session, message.channel.value, message.provider_message_id):
                return False  # a repeat: the engine returns what it did the first time
            sent = outbox.automatic_replies_since(
                session, message.channel.value, message.address, utcnow() - _HOUR
            )
        return sent >= self._cap
