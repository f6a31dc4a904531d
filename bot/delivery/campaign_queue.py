"""Campaign sends as a queue for the one queue worker: claim due ledger rows, check the
rules at this moment (consent, frequency cap, quiet hours, deadline), log the message
in the customer's history, send it through the channel's adapter at the provider's
rate, and record what came of it on the ledger row.

In batches: a pass claims up to one second of the slowest channel's rate (50 at most),
reads what the rules need for the whole batch in one query per kind of fact
(engagement/send_facts.py), logs the batch's messages in a handful of statements, and
records the sends the provider can be asked about in one transaction after the pass.
The checks stay at the moment of sending: they are made after the claim, before the
batch's sends, which the throttle spreads over at most about a second. The running
worker overlaps its passes (`CampaignSendWorker.work_backlog`): the next batch is
claimed and checked while this one's provider calls are in flight, so a check is at
most about two batches' sending time older than its send (two seconds at the rate).

Exactly once per row: the row is claimed under a lease before anything is sent; the
message is logged (with the row's address) before the provider is called; a row whose
process died comes back `uncertain` and is first looked for with the provider where the
sender can ask (`SentLookup`: Twilio's message list), matched on the logged text and
recorded as sent when found.

Email has no such list, and SMTP no lookup; mail systems do not drop a second copy
with the same Message-ID. Decided: where the provider cannot be asked, the row is
marked `sending` in its own commit right before the provider call, and a row that comes
back still `sending` (its process died between the SMTP transaction and the ledger
write) is NOT sent again: it ends `uncertain`, counted as such in the campaign report
and logged at ERROR, so nobody is dropped silently. Why at most once there: the window
is the few milliseconds between SMTP's answer and the commit, a second copy of a
campaign mail is the harm the ledger exists to prevent, and what happened is said
rather than guessed. A row that died before being marked `sending` never reached SMTP
and is sent as usual; sends the provider cannot be asked about are recorded at once,
not after the pass, so the window stays one message wide.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections import deque
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from anyio import to_thread
from sqlalchemy.orm import Session

from bot.delivery.queue import QueueWorker, RetryPolicy
from channels.errors import DeliveryError
from channels.messages import Channel, OutboundMessage, SendReceipt
from channels.ports import ChannelSender, SentLookup
from crm_store import (
    Database,
    campaign_sends,
    campaigns,
    consents,
    delivery_status,
    history,
    web_campaign_messages,
)
from crm_store.base import utcnow
from crm_store.campaign_sends import ClaimedSend, SentNote
from crm_store.campaigns import CampaignRecord
from crm_store.records import InteractionRecord
from engagement.history_entry import CampaignMessage, log_campaign_messages
from engagement.rules import EngagementRules, assess
from engagement.send_facts import SendFacts
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
# Test hook: called with the row after the provider accepted it and before the ledger
# records it (the chaos tests kill the process there).
AfterAccept = Callable[[ClaimedSend], None]
UNCERTAIN = "crashed_mid_send"
# Provider calls in flight per channel: a batch's lanes all reach the provider at once
# once the checks are done in one go, and the provider clients hold 10 connections
# (twilio's pool; a burst beyond it opens new connections the provider may reset).
CONCURRENT_SENDS = 10


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
    kind: str  # sent | suppressed | wait | failed | uncertain
    receipt: SendReceipt | None = None
    reason: str | None = None
    detail: str = ""
    at: datetime | None = None
    interaction_id: int | None = None  # sent: the logged message


Prepared = OutboundMessage | Outcome


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
        after_accept: AfterAccept | None = None,
        concurrent_sends: int = CONCURRENT_SENDS,
    ) -> None:
        self._db = database
        self._senders = dict(senders)
        # (isinstance of a runtime Protocol is slow; asked once per row otherwise)
        self._lookups: dict[str, SentLookup] = {
            channel: sender for channel, sender in senders.items() if isinstance(sender, SentLookup)
        }
        self._rules = rules
        self._throttles = {channel: Throttle(rate) for channel, rate in per_second.items()}
        self._concurrent_sends = concurrent_sends
        self._in_flight: dict[str, asyncio.Semaphore] = {}
        # A batch spans about a second of the slowest throttle, so no check is much
        # older than its send.
        self._batch_cap = max(1, math.ceil(min(per_second.values(), default=math.inf)))
        self._unsubscribe_url = unsubscribe_url
        self._lease = timedelta(seconds=lease_seconds)
        self._clock = clock
        self._after_accept = after_accept
        self._renderers: dict[tuple[int, datetime], Renderer] = {}
        self._prepared: dict[int, Prepared] = {}  # claimed this pass, checked and logged
        self._accepted: list[tuple[ClaimedSend, Outcome]] = []  # sent, not yet recorded

    async def claim(self, limit: int, *, holding: Collection[int] = ()) -> list[ClaimedSend]:
        """Claim a batch, then check and log it (rows the provider may have taken
        already, `uncertain`, are checked one at a time when performed). Rows of the
        customers in `holding` (this worker has their earlier rows in hand) wait for a
        later batch, so one customer's steps never overlap."""

        def claim() -> list[ClaimedSend]:
            with self._db.transaction() as session:
                return campaign_sends.claim_due(
                    session,
                    now=self._clock(),
                    limit=min(limit, self._batch_cap),
                    lease=self._lease,
                    skip_customers=holding,
                )

        rows = await to_thread.run_sync(claim)
        fresh = [row for row in rows if not row.uncertain]
        if fresh:
            try:
                self._prepared.update(await to_thread.run_sync(self._prepare, fresh))
            except Exception:  # each row is then prepared alone, so one cannot stop all
                log.exception("preparing a batch of campaign sends failed")
        return rows

    async def next_due(self, after: datetime) -> datetime | None:
        return await self._db.read_async(
            lambda session: campaign_sends.next_due(session, after=after)
        )

    def lanes(self, rows: Sequence[ClaimedSend]) -> list[list[ClaimedSend]]:
        """One lane per customer: their steps in order."""
        customers: dict[int, list[ClaimedSend]] = {}
        for row in rows:
            customers.setdefault(row.customer_id, []).append(row)
        return list(customers.values())

    def _lookup(self, row: ClaimedSend) -> SentLookup | None:
        return self._lookups.get(row.channel)

    async def perform(self, row: ClaimedSend) -> Outcome:
        sender = self._senders.get(Channel(row.channel))
        if sender is None:
            # A row the rules exclude is reported with their reason (from the batch's
            # check, which logged nothing for it); only the others fail for want of one.
            checked = self._prepared.pop(row.id, None)
            if isinstance(checked, Outcome):
                return checked
            raise DeliveryError(f"no adapter is configured for {row.channel}", retryable=False)
        lookup = self._lookup(row)
        if row.was_sending and lookup is None:
            return Outcome(
                "uncertain",
                reason=UNCERTAIN,
                detail="the process stopped while the provider was being called; not sent "
                "again (the provider cannot be asked whether it took the message)",
            )
        if row.uncertain and lookup is not None:
            found = await self._sent_before(lookup, row)
            if found is not None:
                log.info(
                    "campaign send found with the provider after a crash", extra={"send_id": row.id}
                )
                return Outcome("sent", found, interaction_id=row.interaction_id)
        prepared = self._prepared.pop(row.id, None)
        if prepared is None:
            prepared = (await to_thread.run_sync(self._prepare, [row]))[row.id]
        if isinstance(prepared, Outcome):
            return prepared
        throttle = self._throttles.get(row.channel)
        if throttle is not None:
            await throttle.wait()
        in_flight = self._in_flight.setdefault(
            row.channel, asyncio.Semaphore(self._concurrent_sends)
        )
        async with in_flight:
            # A web chat row is `sent` already (written into the conversation); its
            # send only wakes an open widget, so there is nothing to mark.
            unmarked = lookup is None and row.channel != Channel.WEB
            if unmarked and not await to_thread.run_sync(self._mark_sending, row.id):
                raise DeliveryError("the row's claim ran out before it was sent")
            receipt = await sender.send(prepared)
        if self._after_accept is not None:
            self._after_accept(row)
        return Outcome("sent", receipt, interaction_id=prepared.interaction_id)

    def _mark_sending(self, send_id: int) -> bool:
        with self._db.transaction() as session:
            return campaign_sends.mark_sending(session, send_id)

    def _renderer(self, campaign: CampaignRecord) -> Renderer:
        key = (campaign.id, campaign.created_at)
        if key not in self._renderers:
            self._renderers[key] = Renderer(campaign.content)
        return self._renderers[key]

    def _prepare(self, rows: Sequence[ClaimedSend]) -> dict[int, Prepared]:
        """Check the rules now for each row, in order, and log the messages to send;
        an Outcome for each row that is not sent."""
        now = self._clock()
        found: dict[int, Prepared] = {}
        with self._db.transaction() as session:
            by_id: dict[int, CampaignRecord] = {}
            for campaign_id in {r.campaign_id for r in rows}:
                found_campaign = campaigns.get_campaign(session, campaign_id)
                assert found_campaign is not None  # a foreign key
                by_id[campaign_id] = found_campaign
            facts = SendFacts.load(
                session,
                {(r.customer_id, r.channel, by_id[r.campaign_id].purpose) for r in rows},
                cap_window=self._rules.frequency_window
                if self._rules.frequency_cap is not None
                else None,
                now=now,
            )
            facts.undecided([(row.customer_id, row.id) for row in rows])
            to_log: list[tuple[ClaimedSend, str, CampaignMessage]] = []
            for row in rows:
                campaign = by_id[row.campaign_id]
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
                    facts=facts,
                )
                if verdict.decision != "send":
                    facts.not_sending(row.customer_id, row.id)
                    kind = {"suppress": "suppressed", "fail": "failed"}.get(
                        verdict.decision, verdict.decision
                    )
                    found[row.id] = Outcome(
                        kind, reason=verdict.reason, detail=verdict.detail, at=verdict.at
                    )
                    continue
                assert verdict.address is not None
                if Channel(row.channel) not in self._senders:
                    # Nothing is logged in the history for a message that cannot go out.
                    found[row.id] = Outcome(
                        "failed",
                        reason="provider",
                        detail=f"no adapter is configured for {row.channel}",
                    )
                    continue
                facts.sending(row.customer_id, row.id)
                if row.interaction_id is not None:  # logged on an earlier try
                    logged = history.get_interaction(session, row.interaction_id)
                    found[row.id] = _message(row, logged, verdict.address)
                    continue
                text, attributes = self._wording(row, campaign, verdict.address, verdict.parts)
                to_log.append(
                    (
                        row,
                        verdict.address,
                        CampaignMessage(
                            row.customer_id, row.channel, verdict.address, text, attributes
                        ),
                    )
                )
            logged_all = log_campaign_messages(session, [message for _, _, message in to_log])
            notes = []
            shown: list[tuple[int, int]] = []
            on_the_web: list[InteractionRecord] = []
            for (row, address, _), logged in zip(to_log, logged_all, strict=True):
                if logged is None:
                    found[row.id] = Outcome(
                        "suppressed", reason="no_address", detail="address held by another customer"
                    )
                    continue
                notes.append((row.id, address, logged.id))
                found[row.id] = _message(row, logged, address)
                if row.channel == Channel.WEB:
                    shown.append((row.id, logged.id))
                    on_the_web.append(logged)
            campaign_sends.note_sending(session, notes)
            # For the customer, not for one browser: a new widget session of theirs
            # carries it over while no widget has shown it (web_campaign_messages.py).
            web_campaign_messages.note_written(session, on_the_web)
            for send_id, interaction_id in shown:
                # Sent once written into the conversation: the widget shows it on the
                # next visit; the send that follows only wakes an open widget.
                campaign_sends.mark_sent(
                    session, send_id, provider_message_id=None, sms_segments=None, now=now
                )
                history.set_delivery_status(session, interaction_id, "sent")
        return found

    def _wording(
        self, row: ClaimedSend, campaign: CampaignRecord, address: str, parts: dict[str, str]
    ) -> tuple[str, dict[str, object]]:
        attributes: dict[str, object] = {
            "campaign_id": campaign.id,
            "campaign_send_id": row.id,
            "campaign_step": row.step,
        }
        text = parts.get("body", "")
        if row.channel == "email":
            attributes["subject"] = parts.get("subject") or campaign.name
            if self._unsubscribe_url is not None:
                url = self._unsubscribe_url(address, row.id)
                attributes["unsubscribe_url"] = url
                text = f"{text}\n\n---\nUnsubscribe: {url}"
        return text, attributes

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
        """Record a row's outcome. A send the provider can be asked about is recorded
        with the rest of the pass (`record_accepted`): should the process die first,
        the row comes back `uncertain` and is found with the provider."""
        if outcome.kind == "sent" and self._lookup(row) is not None:
            self._accepted.append((row, outcome))
            return
        await to_thread.run_sync(self._record, row, outcome)

    def unrecorded(self) -> set[int]:
        """Customers whose sends the provider took and the ledger has yet to record."""
        return {row.customer_id for row, _ in self._accepted}

    async def record_accepted(self) -> None:
        """Record the pass's sends in one transaction."""
        accepted, self._accepted = self._accepted, []
        if accepted:
            await to_thread.run_sync(self._record_sent, accepted)

    def _record_sent(self, accepted: Sequence[tuple[ClaimedSend, Outcome]]) -> None:
        notes, statuses = [], []
        for row, outcome in accepted:
            receipt = outcome.receipt
            assert receipt is not None
            segments = receipt.attributes.get("sms_segments")
            notes.append(
                SentNote(
                    row.id,
                    receipt.provider_message_id,
                    int(segments) if segments is not None else None,
                )
            )
            if outcome.interaction_id is not None:
                statuses.append(
                    (outcome.interaction_id, receipt.provider_message_id, receipt.attributes)
                )
        with self._db.transaction() as session:
            campaign_sends.mark_sent_many(session, notes, now=self._clock())
            delivery_status.record_sent_many(session, statuses)

    def _record(self, row: ClaimedSend, outcome: Outcome) -> None:
        if outcome.kind == "sent":
            self._record_sent([(row, outcome)])
            return
        with self._db.transaction() as session:
            if outcome.kind == "wait":
                assert outcome.at is not None
                campaign_sends.wait_until(
                    session,
                    row.id,
                    at=outcome.at,
                    reason=outcome.reason or "waiting",
                    detail=outcome.detail,
                )
            else:
                self._finish(
                    session, row, outcome.kind, outcome.reason or outcome.kind, outcome.detail
                )
        if outcome.kind == "uncertain":
            log.error(
                "campaign send may or may not have reached the customer; not sent again",
                extra={"send_id": row.id, "campaign_id": row.campaign_id, "channel": row.channel},
            )

    def _finish(
        self, session: Session, row: ClaimedSend, state: str, reason: str, detail: str
    ) -> None:
        campaign_sends.finish(session, row.id, state=state, reason=reason, detail=detail)
        interaction_id = campaign_sends.interaction_of(session, row.id)
        if interaction_id is not None:  # logged on an earlier try, then not sent
            consent = reason in ("no_consent", "sms_stop", "unsubscribed", "opted_out")
            if state == "uncertain":
                status = "sending"  # what is known: it was being sent
            elif consent:
                status = "opted_out"
            else:
                status = "canceled" if state == "suppressed" else "failed"
            delivery_status.force(
                session, interaction_id, status, attributes={"delivery_error": detail}
            )

    async def retry(
        self, row: ClaimedSend, failure: DeliveryError, at: datetime, *, counted: bool
    ) -> None:
        if failure.uncertain and self._lookup(row) is None:
            # The provider may have taken it and cannot be asked: as after a crash.
            await to_thread.run_sync(
                self._record, row, Outcome("uncertain", reason=UNCERTAIN, detail=failure.reason)
            )
            return

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
        for row in rows:
            self._prepared.pop(row.id, None)

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

    async def work_due(self) -> int:
        """One pass; the sends of the pass are recorded together at its end."""
        try:
            return await super().work_due()
        finally:
            await self._record_accepted()

    async def work_backlog(self, limit: int | None = None) -> int:
        """Passes while rows are due, as a pipeline: the next batch is claimed, checked
        and logged while this batch's provider calls are in flight, and its lanes start
        at once, queued behind this batch's on the channel's throttle and its calls in
        flight. At most two batches are held: before claiming a third the older one
        must be done, and the sends it left to record are recorded in one transaction.
        Returns the rows claimed.

        What the overlap changes, and why it holds: a row's checks (consent, cap,
        quiet hours) are made when its batch is claimed, so at most about two batches'
        sending time before its send instead of one (two seconds when the throttle
        sets the pace; a slow provider stretches both alike). A
        customer with a row still in hand (claimed, or sent and not yet recorded) is
        not claimed again until it is recorded, so their steps never overlap and the
        cap and the SMS opt-out hint read the earlier step's outcome.

        `limit`: claim no more batches once this many rows were claimed (a benchmark
        sending part of a frozen audience)."""
        claimed = 0
        batches: deque[set[asyncio.Task[None]]] = deque()
        try:
            while (limit is None or claimed < limit) and (rows := await self._claim_batch()):
                claimed += len(rows)
                batches.append(self._start_batch(rows))
                if len(batches) > 1:
                    await self._finish_batch(batches.popleft())
                    await self._record_accepted()
        finally:
            while batches:
                await self._finish_batch(batches.popleft())
            await self._record_accepted()
        return claimed

    async def _claim(self, limit: int) -> list[ClaimedSend]:
        holding = {row.customer_id for row in self._unfinished.values()}
        return await self.sends.claim(limit, holding=holding | self.sends.unrecorded())

    async def stop(self, grace_seconds: float = 10.0) -> None:
        await super().stop(grace_seconds)
        await self._record_accepted()

    async def _record_accepted(self) -> None:
        try:
            await self.sends.record_accepted()
        except Exception:  # the store failed: the rows come back `uncertain` and are found
            log.exception("recording a pass's campaign sends failed")
