"""Opt-outs and opt-ins said on a channel (SMS STOP and START), written to the consent
ledger in the CRM store. A keyword withdraws or grants every purpose on that channel."""

from __future__ import annotations

from anyio import to_thread

from channels.messages import Channel
from crm_store import Database, consents, receipts


class ConsentBook:
    def __init__(self, database: Database) -> None:
        self._db = database

    async def is_opted_out(self, channel: Channel, address: str) -> bool:
        return await to_thread.run_sync(self._is_opted_out, channel.value, address)

    async def record(
        self,
        channel: Channel,
        address: str,
        *,
        opted_in: bool,
        source: str,
        provider_message_id: str,
        wording: str | None = None,
    ) -> bool:
        """`wording`: the confirmation the customer is sent, kept as the words shown."""
        return await to_thread.run_sync(
            self._record, channel.value, address, opted_in, source, provider_message_id, wording
        )

    def _is_opted_out(self, channel: str, address: str) -> bool:
        with self._db.transaction() as session:
            return consents.opt_out_of(session, channel, address) is not None

    def _record(
        self,
        channel: str,
        address: str,
        opted_in: bool,
        source: str,
        provider_message_id: str,
        wording: str | None,
    ) -> bool:
        with self._db.transaction() as session:
            if receipts.find_receipt(session, channel, provider_message_id) is not None:
                return False  # a retry: the keyword was recorded when it first came
            consents.record_consent(
                session,
                channel=channel,
                address=address,
                decision=consents.GRANTED if opted_in else consents.WITHDRAWN,
                means="sms_keyword",
                source=source,
                wording=wording,
            )
            return True
