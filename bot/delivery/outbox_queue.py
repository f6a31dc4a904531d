"""The customer outbox as a queue for the queue worker: claim due rows, send each through
its channel's adapter, record sent / retry / failed on the row and its interaction.

A row claimed again after its lease ran out (its process died mid-send) is first looked
for with the provider where the sender can ask (`SentLookup`: Twilio's message list);
found, it is recorded as sent, not sent twice.

Consent is checked here, at the last moment, for every kind of message (bot, agent,
campaign): a row for an address that opted out on its channel fails with the reason,
and its interaction's delivery status reads `opted_out`. Only replies marked
`consent_notice` (the STOP confirmation, HELP) go out regardless. The claim reads the
consent of its batch in the claim's own transaction (one statement, where it was one
transaction per message), and the first row to each recipient, sent right after, uses
that reading while it is `CONSENT_FRESH_SECONDS` old at most; a later row to the same
recipient (it waits for the one before to be sent) reads its consent again just before
its send, as every row did before, so a STOP between the two is honoured.

A row given up on writes its reason on its interaction (`delivery_error` in its
attributes, which the staff API shows) and is reported to the failure hook bot/wiring
hands in (`report_failures_to`): when it was an agent's reply, or any outbound message of
a conversation now with a person, the handoff service tells the agents in the card's
thread; other messages it ignores.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import datetime, timedelta

from anyio import to_thread

from channels.errors import DeliveryError
from channels.messages import Channel, OutboundMessage, SendReceipt
from channels.ports import ChannelSender, SentLookup
from crm_store import Database, consents, delivery_status, outbox
from crm_store.base import utcnow
from crm_store.records import ConsentRecord, OutboxRecord

log = logging.getLogger(__name__)

__all__ = ["DeadAlarm", "FailureHook", "OutboxQueue", "to_outbound"]

# Called with (interaction id, final delivery status, reason) when a row is given up on.
FailureHook = Callable[[int, str, str], Awaitable[None]]
# Told of every row parked dead (after it is stored and logged): the Slack alert.
DeadAlarm = Callable[[OutboxRecord, str], Awaitable[None]]
# How far before a recovered row's window began the provider's list is read.
LOOKUP_MARGIN = timedelta(minutes=1)
# How long the consent read with a row's claim counts for its send. The first row to
# each recipient goes out within milliseconds of the claim; a STOP that lands between
# the two could as well have landed during the provider call, which no check covers.
CONSENT_FRESH_SECONDS = 1.0


class RecipientOptedOut(DeliveryError):
    """Our own consent ledger says the address opted out: the row is not sent."""

    def __init__(self, opt_out: ConsentRecord) -> None:
        when = opt_out.recorded_at.strftime("%Y-%m-%d %H:%M:%S UTC")
        super().__init__(
            f"recipient opted out by {opt_out.source or 'request'} at {when}", retryable=False
        )


def to_outbound(row: OutboxRecord) -> OutboundMessage:
    payload = row.payload
    return OutboundMessage(
        outbox_id=row.id,
        interaction_id=row.interaction_id,
        conversation_id=row.conversation_id,
        seq=int(payload.get("seq", 0)),
        channel=Channel(row.channel),
        address=row.address,
        author=str(payload.get("author", "bot")),
        text=str(payload.get("text", "")),
        created_at=datetime.fromisoformat(payload["created_at"])
        if "created_at" in payload
        else utcnow(),
        attributes=dict(payload.get("attributes", {})),
    )


def _consent_key(row: OutboxRecord) -> tuple[str, str, str] | None:
    """(channel, address, purpose) whose consent the row needs; None for a consent
    notice, which goes out regardless. A survey question needs consent to surveys;
    everything else to service."""
    attributes = row.payload.get("attributes", {})
    if attributes.get("consent_notice"):
        return None
    purpose = consents.SURVEYS if attributes.get("survey_id") is not None else consents.SERVICE
    return row.channel, row.address, purpose


class OutboxQueue:
    """`bot.delivery.queue.Queue` over the outbox table and the channel senders."""

    def __init__(
        self,
        database: Database,
        senders: Mapping[Channel, ChannelSender],
        *,
        lease_seconds: float = 60.0,
        clock: Callable[[], datetime] = utcnow,
        only: frozenset[Channel] | None = None,
    ) -> None:
        """`only` limits the queue to some channels (the terminal chat, which shares a
        database with a server, must not take the server's web replies)."""
        self._db = database
        self._senders = dict(senders)
        self._lease = timedelta(seconds=lease_seconds)
        self._clock = clock
        self._channels = [c.value for c in only] if only is not None else None
        self._failure_hooks: list[FailureHook] = []
        # Told of every row parked dead (the Slack alert), set by bot/wiring. Set here:
        # when `report_failures_to` set it, wiring's later call put the alarm back to None.
        self.alarm: DeadAlarm | None = None
        # Row id -> (its withdrawal in force or None, when read): the claim's reading.
        self._consent_at_claim: dict[int, tuple[ConsentRecord | None, float]] = {}

    def report_failures_to(self, hook: FailureHook) -> None:
        """Have `hook` called for every row given up on (after it is marked so)."""
        self._failure_hooks.append(hook)

    async def claim(self, limit: int) -> list[OutboxRecord]:
        return await to_thread.run_sync(self._claim, limit)

    async def next_due(self, after: datetime) -> datetime | None:
        return await self._db.read_async(
            lambda session: outbox.next_due(session, after=after, channels=self._channels)
        )

    def lanes(self, rows: Sequence[OutboxRecord]) -> list[list[OutboxRecord]]:
        """One lane per recipient: concurrently across recipients and in order to each
        one (two quick messages to a phone must not arrive swapped)."""
        recipients: dict[tuple[str, str], list[OutboxRecord]] = {}
        for row in rows:
            recipients.setdefault((row.channel, row.address), []).append(row)
        return list(recipients.values())

    async def perform(self, row: OutboxRecord) -> SendReceipt:
        claimed = self._consent_at_claim.pop(row.id, None)
        sender = self._senders.get(Channel(row.channel))
        if sender is None:
            raise DeliveryError(
                f"no adapter is configured for channel {row.channel}", retryable=False
            )
        if claimed is not None and time.monotonic() - claimed[1] <= CONSENT_FRESH_SECONDS:
            opt_out = claimed[0]
        else:
            opt_out = await to_thread.run_sync(self._opt_out_of, row)
        if opt_out is not None:
            raise RecipientOptedOut(opt_out)
        message = to_outbound(row)
        if row.recovered and isinstance(sender, SentLookup):
            found = await self._sent_before(sender, row, message)
            if found is not None:
                log.info(
                    "found with the provider after a crash; not sent again",
                    extra={"outbox_id": row.id, "provider_message_id": found.provider_message_id},
                )
                return found
        return await sender.send(message)

    async def _sent_before(
        self, sender: SentLookup, row: OutboxRecord, message: OutboundMessage
    ) -> SendReceipt | None:
        """What an earlier, unfinished try of `row` had the provider take, if it did: the
        oldest match no other row has recorded as its own."""
        candidates = await sender.find_sent(message, row.window_start - LOOKUP_MARGIN)
        for receipt in candidates:
            sid = receipt.provider_message_id
            if sid and not await to_thread.run_sync(self._taken, sid, row.id):
                return receipt
        return None

    async def done(self, row: OutboxRecord, receipt: SendReceipt) -> None:
        await to_thread.run_sync(self._mark_sent, row, receipt)
        log.info(
            "delivered",
            extra={"outbox_id": row.id, "channel": row.channel, "attempt": row.attempts},
        )

    async def retry(
        self, row: OutboxRecord, failure: DeliveryError, at: datetime, *, counted: bool
    ) -> None:
        await to_thread.run_sync(self._schedule_retry, row.id, failure.reason, at, counted)
        log.warning(
            "send failed; will retry",
            extra={
                "outbox_id": row.id,
                "channel": row.channel,
                "attempt": row.attempts,
                "retry_at": at.isoformat(),
                "error": failure.reason,
            },
        )

    async def failed(self, row: OutboxRecord, failure: DeliveryError) -> None:
        await self._give_up(row, failure)
        opted_out = isinstance(failure, RecipientOptedOut) or failure.opted_out_by is not None
        status = "opted_out" if opted_out else "failed"
        for hook in self._failure_hooks:
            try:
                await hook(row.interaction_id, status, failure.reason)
            except Exception:  # the row is marked failed already; the report is extra
                log.exception("failure hook failed", extra={"outbox_id": row.id})

    async def _give_up(self, row: OutboxRecord, failure: DeliveryError) -> None:
        if isinstance(failure, RecipientOptedOut):
            await to_thread.run_sync(self._mark_opted_out, row, failure.reason)
            log.warning(
                "not sent: recipient opted out",
                extra={"outbox_id": row.id, "channel": row.channel, "error": failure.reason},
            )
        elif failure.opted_out_by is not None:
            await to_thread.run_sync(
                self._record_opt_out, row, failure.opted_out_by, failure.reason
            )
            log.warning(
                "not sent: the provider says the recipient opted out",
                extra={"outbox_id": row.id, "channel": row.channel, "error": failure.reason},
            )
        else:
            await to_thread.run_sync(self._mark_failed, row, failure.reason)
            log.error(
                "send failed for good",
                extra={
                    "outbox_id": row.id,
                    "channel": row.channel,
                    "attempt": row.attempts,
                    "error": failure.reason,
                },
            )

    async def dead(self, row: OutboxRecord, failure: DeliveryError) -> None:
        """Retried until its channel's window ended: parked, logged at ERROR, alarmed."""
        error = f"gave up after {row.attempts} tries: {failure.reason}"
        await to_thread.run_sync(self._mark_dead, row.id, error)
        log.error(
            "send is dead: retry or discard it (switchboard deliveries list)",
            extra={
                "outbox_id": row.id,
                "channel": row.channel,
                "attempt": row.attempts,
                "error": failure.reason,
            },
        )
        for hook in self._failure_hooks:  # in a handoff: the agents hear it
            try:
                await hook(row.interaction_id, "dead", error)
            except Exception:  # the row is dead and logged already; the report is extra
                log.exception("failure hook failed", extra={"outbox_id": row.id})
        if self.alarm is not None:
            try:
                await self.alarm(row, error)
            except Exception:  # the alarm is extra: the row is dead and logged already
                log.exception("raising the alarm for a dead send failed")

    async def release(self, rows: Sequence[OutboxRecord]) -> None:
        ids = [row.id for row in rows]
        for row_id in ids:
            self._consent_at_claim.pop(row_id, None)
        released = await to_thread.run_sync(self._release, ids)
        log.info("re-queued sends not tried", extra={"outbox_ids": ids, "released": released})

    # -- the store, in a worker thread ------------------------------------------------

    def _claim(self, limit: int) -> list[OutboxRecord]:
        with self._db.transaction() as session:
            rows = outbox.claim_due(
                session,
                now=self._clock(),
                limit=limit,
                lease=self._lease,
                channels=self._channels,
            )
            first_to_each: dict[tuple[str, str], OutboxRecord] = {}
            for row in rows:  # oldest first, as each recipient's lane sends them
                first_to_each.setdefault((row.channel, row.address), row)
            asked = {row.id: _consent_key(row) for row in first_to_each.values()}
            wanted = [key for key in asked.values() if key is not None]
            opt_outs = consents.opt_outs_among(session, wanted) if wanted else {}
        read_at = time.monotonic()
        for row_id, key in asked.items():
            if key is not None:
                self._consent_at_claim[row_id] = (opt_outs.get(key), read_at)
        return rows

    def _release(self, outbox_ids: list[int]) -> int:
        with self._db.transaction() as session:
            return outbox.release(session, outbox_ids, now=self._clock())

    def _taken(self, provider_message_id: str, outbox_id: int) -> bool:
        with self._db.transaction() as session:
            return outbox.provider_id_taken(session, provider_message_id, other_than=outbox_id)

    def _mark_dead(self, outbox_id: int, error: str) -> None:
        with self._db.transaction() as session:
            outbox.mark_dead(session, outbox_id, error=error)

    def _opt_out_of(self, row: OutboxRecord) -> ConsentRecord | None:
        key = _consent_key(row)
        if key is None:
            return None
        channel, address, purpose = key
        with self._db.transaction() as session:
            return consents.opt_out_of(session, channel, address, purpose=purpose)

    def _mark_sent(self, row: OutboxRecord, receipt: SendReceipt) -> None:
        with self._db.transaction() as session:
            outbox.mark_sent(session, row.id, receipt.provider_message_id)
            delivery_status.record_sent(
                session, row.interaction_id, receipt.provider_message_id, receipt.attributes
            )

    def _mark_opted_out(self, row: OutboxRecord, error: str) -> None:
        with self._db.transaction() as session:
            outbox.mark_failed(session, row.id, error=error)
            delivery_status.force(
                session, row.interaction_id, "opted_out", attributes={"delivery_error": error}
            )

    def _record_opt_out(self, row: OutboxRecord, source: str, error: str) -> None:
        """The provider says the recipient unsubscribed: remember it, fail the row."""
        with self._db.transaction() as session:
            consents.record_consent(
                session,
                channel=row.channel,
                address=row.address,
                decision=consents.WITHDRAWN,
                means="provider",
                source=source,
            )
        self._mark_opted_out(row, error)

    def _schedule_retry(self, outbox_id: int, error: str, at: datetime, counted: bool) -> None:
        with self._db.transaction() as session:
            outbox.schedule_retry(session, outbox_id, error=error, at=at, count_attempt=counted)

    def _mark_failed(self, row: OutboxRecord, error: str) -> None:
        with self._db.transaction() as session:
            outbox.mark_failed(session, row.id, error=error)
            delivery_status.force(
                session, row.interaction_id, "failed", attributes={"delivery_error": error}
            )
