"""Campaign sends as a queue for the one queue worker: claim due ledger rows, check the
rules at this moment (consent, frequency cap, quiet hours, deadline), log the message
in the customer's history, send it through the channel's adapter at the provider's
rate, and record what came of it on the ledger row.

Exactly once per row: the row is claimed under a lease before anything is sent; the
message is logged (with the row's address) before the provider is called; a row whose
process died comes back `uncertain` and is first looked for with the provider where the
sender can ask (`SentLookup`: Twilio's message list), matched on the logged text and
recorded as sent when found. Email has no such list; a recovered email carries the
same Message-ID as the first try, which mail systems use to drop a second copy.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from anyio import to_thread
from sqlalchemy.orm import Session

from bot.delivery.queue import QueueWorker, RetryPolicy
from channels.errors import DeliveryError
from channels.messages import Channel, OutboundMessage, SendReceipt
from channels.ports import ChannelSender, SentLookup
from crm_store import Database, campaign_sends, campaigns, consents, delivery_status, history
from crm_store.base import utcnow
from crm_store.campaign_sends import ClaimedSend
from crm_store.records import InteractionRecord
from engagement.history_entry import log_campaign_message
from engagement.rules import EngagementRules, assess
from engagement.templates import Renderer

log = logging.getLogger(__name__)

__all__ = ["CampaignSendQueue", "CampaignSendWorker", "Outcome", "Throttle"]

LOOKUP_MARGIN = timedelta(minutes=1)
# Retried with backoff for a day from the freeze (a campaign's deadline, when earlier,
# ends it first: the row is then suppressed with reason `deadline`).
DEFAULT_POLICY = RetryPolicy(
    max_attempts=None, base_delay_seconds=1.0, max_delay_seconds=300.0, retry_window_seconds=86400
)
# The recipient's address and the ledger row -> the single-use unsubscribe URL.
UnsubscribeUrl = Callable[[str, int], str]


class Throttle:
    """At most `per_second` calls to one provider from this process (evenly spaced)."""

    def __init__(self, per_second: float) -> None:
        self._gap = 1.0 / per_second
        self._next = 0.0

    async def wait(self) -> None:
        now = time.monotonic()
        at = max(now, self._next)
        self._next = at + self._gap
        if at > now:
            await asyncio.sleep(at - now)


@dataclass(frozen=True, slots=True)
class Outcome:
    kind: str  # sent | suppressed | wait | failed
    receipt: SendReceipt | None = None
    reason: str | None = None
    detail: str = ""
    at: datetime | None = None


class CampaignSendQueue:
    """`bot.delivery.queue.Queue` over `campaign_sends`."""

    def __init__(
        self,
        database: Database,
        senders: Mapping[Channel, ChannelSender],
        rules: EngagementRules,
        *,
        per_second: Mapping[str, float],
        unsubscribe_url: UnsubscribeUrl | None = None,
        lease_seconds: float = 60.0,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._db = database
        self._senders = dict(senders)
        self._rules = rules
        self._throttles = {channel: Throttle(rate) for channel, rate in per_second.items()}
        self._unsubscribe_url = unsubscribe_url
        self._lease = timedelta(seconds=lease_seconds)
        self._clock = clock
        self._renderers: dict[tuple[int, datetime], Renderer] = {}

    async def claim(self, limit: int) -> list[ClaimedSend]:
        def claim() -> list[ClaimedSend]:
            with self._db.transaction() as session:
                return campaign_sends.claim_due(
                    session, now=self._clock(), limit=limit, lease=self._lease
                )

        return await to_thread.run_sync(claim)

    def lanes(self, rows: Sequence[ClaimedSend]) -> list[list[ClaimedSend]]:
        """One lane per customer: their steps in order, and the frequency cap counted
        one send at a time."""
        customers: dict[int, list[ClaimedSend]] = {}
        for row in rows:
            customers.setdefault(row.customer_id, []).append(row)
        return list(customers.values())

    async def perform(self, row: ClaimedSend) -> Outcome:
        sender = self._senders.get(Channel(row.channel))
        if sender is None:
            raise DeliveryError(f"no adapter is configured for {row.channel}", retryable=False)
        if row.uncertain and isinstance(sender, SentLookup):
            found = await self._sent_before(sender, row)
            if found is not None:
                log.info(
                    "campaign send found with the provider after a crash", extra={"send_id": row.id}
                )
                return Outcome("sent", found)
        prepared = await to_thread.run_sync(self._prepare, row)
        if isinstance(prepared, Outcome):
            return prepared
        throttle = self._throttles.get(row.channel)
        if throttle is not None:
            await throttle.wait()
        return Outcome("sent", await sender.send(prepared))

    def _renderer(self, campaign: campaigns.CampaignRecord) -> Renderer:
        key = (campaign.id, campaign.created_at)
        if key not in self._renderers:
            self._renderers[key] = Renderer(campaign.content)
        return self._renderers[key]

    def _prepare(self, row: ClaimedSend) -> OutboundMessage | Outcome:
        """Check the rules now and log the message; an Outcome when it is not sent."""
        now = self._clock()
        with self._db.transaction() as session:
            campaign = campaigns.get_campaign(session, row.campaign_id)
            assert campaign is not None
            verdict = assess(
                session,
                campaign,
                self._renderer(campaign),
                send_id=row.id,
                step=row.step,
                customer_id=row.customer_id,
                rules=self._rules,
                now=now,
                channel=row.channel,
            )
            if verdict.decision == "suppress":
                return Outcome("suppressed", reason=verdict.reason, detail=verdict.detail)
            if verdict.decision == "fail":
                return Outcome("failed", reason=verdict.reason, detail=verdict.detail)
            if verdict.decision == "wait":
                return Outcome("wait", reason=verdict.reason, detail=verdict.detail, at=verdict.at)
            assert verdict.address is not None
            attributes: dict[str, object] = {
                "campaign_id": campaign.id,
                "campaign_send_id": row.id,
                "campaign_step": row.step,
            }
            text = verdict.parts.get("body", "")
            if row.channel == "email":
                attributes["subject"] = verdict.parts.get("subject") or campaign.name
                if self._unsubscribe_url is not None:
                    url = self._unsubscribe_url(verdict.address, row.id)
                    attributes["unsubscribe_url"] = url
                    text = f"{text}\n\n---\nUnsubscribe: {url}"
            if row.interaction_id is not None:  # logged on an earlier try
                logged = history.get_interaction(session, row.interaction_id)
            else:
                found = log_campaign_message(
                    session,
                    customer_id=row.customer_id,
                    channel=row.channel,
                    address=verdict.address,
                    text=text,
                    attributes=attributes,
                )
                if found is None:
                    return Outcome(
                        "suppressed", reason="no_address", detail="address held by another customer"
                    )
                logged = found
                campaign_sends.note_sending(
                    session, row.id, address=verdict.address, interaction_id=logged.id
                )
                if row.channel == Channel.WEB:
                    # Sent once written into the conversation: the widget shows it on
                    # the next visit; the send below only wakes an open widget.
                    campaign_sends.mark_sent(
                        session, row.id, provider_message_id=None, sms_segments=None, now=now
                    )
                    history.set_delivery_status(session, logged.id, "sent")
            return _message(row, logged, verdict.address)

    async def _sent_before(self, sender: SentLookup, row: ClaimedSend) -> SendReceipt | None:
        def logged() -> OutboundMessage | None:
            with self._db.transaction() as session:
                if row.interaction_id is None:
                    return None  # never got as far as the provider
                record = history.get_interaction(session, row.interaction_id)
                address = campaign_sends.address_of(session, row.id)
                return _message(row, record, address) if address else None

        message = await to_thread.run_sync(logged)
        if message is None:
            return None
        for receipt in await sender.find_sent(message, row.created_at - LOOKUP_MARGIN):
            sid = receipt.provider_message_id
            if sid and not await to_thread.run_sync(self._taken, sid, row.id):
                return receipt
        return None

    def _taken(self, sid: str, send_id: int) -> bool:
        with self._db.transaction() as session:
            return campaign_sends.provider_id_taken(session, sid, other_than=send_id)

    async def done(self, row: ClaimedSend, outcome: Outcome) -> None:
        await to_thread.run_sync(self._record, row, outcome)

    def _record(self, row: ClaimedSend, outcome: Outcome) -> None:
        now = self._clock()
        with self._db.transaction() as session:
            if outcome.kind == "sent":
                receipt = outcome.receipt
                assert receipt is not None
                segments = receipt.attributes.get("sms_segments")
                campaign_sends.mark_sent(
                    session,
                    row.id,
                    provider_message_id=receipt.provider_message_id,
                    sms_segments=int(segments) if segments is not None else None,
                    now=now,
                )
                interaction_id = campaign_sends.interaction_of(session, row.id)
                if interaction_id is not None:
                    delivery_status.record_sent(
                        session, interaction_id, receipt.provider_message_id, receipt.attributes
                    )
                    delivery_status.advance(session, interaction_id, "sent")
            elif outcome.kind == "wait":
                assert outcome.at is not None
                campaign_sends.wait_until(
                    session,
                    row.id,
                    at=outcome.at,
                    reason=outcome.reason or "waiting",
                    detail=outcome.detail,
                )
            else:
                state = "suppressed" if outcome.kind == "suppressed" else "failed"
                self._finish(session, row, state, outcome.reason or state, outcome.detail)

    def _finish(
        self, session: Session, row: ClaimedSend, state: str, reason: str, detail: str
    ) -> None:
        campaign_sends.finish(session, row.id, state=state, reason=reason, detail=detail)
        interaction_id = campaign_sends.interaction_of(session, row.id)
        if interaction_id is not None:  # logged on an earlier try, then not sent
            consent = reason in ("no_consent", "sms_stop", "unsubscribed", "opted_out")
            status = "opted_out" if consent else "canceled" if state == "suppressed" else "failed"
            delivery_status.force(
                session, interaction_id, status, attributes={"delivery_error": detail}
            )

    async def retry(
        self, row: ClaimedSend, failure: DeliveryError, at: datetime, *, counted: bool
    ) -> None:
        def write() -> None:
            with self._db.transaction() as session:
                campaign_sends.schedule_retry(
                    session,
                    row.id,
                    error=failure.reason,
                    at=at,
                    count_attempt=counted,
                    uncertain=failure.uncertain,
                )

        await to_thread.run_sync(write)

    async def failed(self, row: ClaimedSend, failure: DeliveryError) -> None:
        def write() -> None:
            with self._db.transaction() as session:
                if failure.opted_out_by is not None:
                    address = campaign_sends.address_of(session, row.id)
                    if address:
                        consents.record_consent(
                            session,
                            channel=row.channel,
                            address=address,
                            decision=consents.WITHDRAWN,
                            means="provider",
                            source=failure.opted_out_by,
                        )
                    self._finish(session, row, "suppressed", "opted_out", failure.reason)
                else:
                    self._finish(session, row, "failed", "provider", failure.reason)

        await to_thread.run_sync(write)

    async def dead(self, row: ClaimedSend, failure: DeliveryError) -> None:
        def write() -> None:
            with self._db.transaction() as session:
                self._finish(
                    session,
                    row,
                    "failed",
                    "gave_up",
                    f"gave up after {row.attempts} tries: {failure.reason}",
                )

        await to_thread.run_sync(write)
        log.error("campaign send gave up", extra={"send_id": row.id, "error": failure.reason})

    async def release(self, rows: Sequence[ClaimedSend]) -> None:
        def write() -> None:
            with self._db.transaction() as session:
                campaign_sends.release(session, [row.id for row in rows])

        await to_thread.run_sync(write)


def _message(row: ClaimedSend, logged: InteractionRecord, address: str) -> OutboundMessage:
    return OutboundMessage(
        outbox_id=row.id,
        interaction_id=logged.id,
        conversation_id=logged.conversation_id,
        seq=logged.seq,
        channel=Channel(row.channel),
        address=address,
        author=logged.author,
        text=logged.text,
        created_at=logged.created_at,
        attributes=dict(logged.attributes),
    )


class CampaignSendWorker(QueueWorker[ClaimedSend, Outcome]):
    """Sends campaign ledger rows until stopped."""

    def __init__(
        self,
        queue: CampaignSendQueue,
        *,
        policy: RetryPolicy | None = None,
        batch_size: int = 50,
        poll_interval_seconds: float = 1.0,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.sends = queue
        super().__init__(
            queue,
            policy or DEFAULT_POLICY,
            batch_size=batch_size,
            poll_interval_seconds=poll_interval_seconds,
            clock=clock,
            name="campaign-sends",
        )
