"""Providers' delivery status callbacks, applied to the sent interaction forward only."""

from __future__ import annotations

from anyio import to_thread

from channels.messages import Channel
from crm_store import Database, delivery_status


class DeliveryReports:
    def __init__(self, database: Database) -> None:
        self._db = database

    async def report(
        self,
        channel: Channel,
        provider_message_id: str,
        status: str,
        *,
        outbox_id: int | None = None,
        error: str | None = None,
    ) -> bool | None:
        return await to_thread.run_sync(
            self._report, channel.value, provider_message_id, status, outbox_id, error
        )

    def _report(
        self,
        channel: str,
        provider_message_id: str,
        status: str,
        outbox_id: int | None,
        error: str | None,
    ) -> bool | None:
        with self._db.transaction() as session:
            sent = delivery_status.find_sent(
                session, channel, provider_message_id, outbox_id=outbox_id
            )
            if sent is None:
                return None
            return delivery_status.advance(
                session, sent.id, status, attributes={"delivery_error": error} if error else None
            )
