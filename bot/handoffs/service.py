"""Handoffs between the bot and people: the context packet for the agent desk, and
what agents do (claim, reply, note, resolve, back to bot), on the customer's channel.

`HandoffService` is the engine's `HandoffEvents` and the desk's `AgentConsole`.
Everything an agent sends the customer is logged and goes through the outbox like the
bot's replies; a note goes on the conversation's ticket and is never sent.

The handoff's ticket (the conversation's open ticket, or the customer's only one)
follows it: claiming assigns it to the agent, resolving solves it unless the agent
keeps it open, going back to the bot leaves it as it is. A reply that delivery gives
up on is reported back (`delivery_failed`, handed to the delivery worker by
bot/wiring) and the agent is told why on the desk.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from anyio import to_thread
from sqlalchemy.orm import Session

from bot.conversation.route import article_key
from bot.handoffs.links import HandoffLinks
from bot.handoffs.sent_files import sent_files
from bot.handoffs.undelivered import undelivered
from bot.surveys import SurveyPolicy, ask_after_resolution
from channels.handoff import ClaimResult, CustomerUpdate, HandoffPacket, PacketMessage
from channels.ports import AgentDesk
from crm_store import Database, customers, handoffs, history, orders, outbox, reply_keys, tickets
from crm_store.models import Account, StaffUser
from crm_store.records import HandoffRecord, InteractionRecord, NewInteraction
from crm_store.vocabulary import HandoffReason, TicketStatus
from nlu import FALLBACK_INTENT

log = logging.getLogger(__name__)

LAST_MESSAGES = 10
CLAIMED = "{name} from our support team has joined the conversation."
RESOLVED = (
    "Our team has marked this conversation as resolved. If you need anything else, just write here."
)
BACK_TO_BOT = "You're back with the Switchboard assistant. How else can I help?"


class HandoffError(Exception):
    """An agent action that cannot be done (not the owner, already closed)."""


class HandoffNotFound(HandoffError):
    """There is no handoff with that id."""


class ReplyTooLong(HandoffError):
    """The reply cannot reach the customer's channel as one message (an SMS is cut at
    Twilio's limit): refused with the reason, so the agent sends it in parts rather than
    the customer getting its first half without anyone knowing."""


class CannotReachCustomer(HandoffError):
    """The customer wrote on a channel this server has no sender for (a `switchboard chat`
    trial in a terminal, SMS without Twilio, email without SMTP): refused before anything
    is written, so the agent is told now instead of the history saying "failed" later."""


# Why a channel may have no sender here, for the refusal's reason.
_UNREACHABLE_BECAUSE = {
    "terminal": "it was a `switchboard chat` trial in a terminal, which only that "
    "terminal could show",
    "sms": "SMS is not configured on this server (Twilio settings)",
    "email": "email is not configured on this server (SMTP settings)",
}


class RequestKeyReused(HandoffError):
    """An `Idempotency-Key` sent again with another reply (crm_store/reply_keys.py)."""


class NotYourHandoff(HandoffError):
    """Someone else claimed it (only they, or an admin, may close it)."""


class LoggingAgentDesk:
    """The desk when no Slack is configured: agents work the handoffs in the staff
    dashboard (and the handoffs API); each is logged."""

    async def handoff_opened(self, packet: HandoffPacket) -> None:
        log.info(
            "handoff queued for the staff dashboard (no Slack desk configured)",
            extra={"handoff_id": packet.handoff_id, "conversation_id": packet.conversation_id},
        )

    async def customer_wrote(self, update: CustomerUpdate) -> None:
        log.info("customer wrote during a handoff", extra={"handoff_id": update.handoff_id})

    async def handoff_claimed(self, handoff_id: int, staff_name: str | None) -> None:
        log.info("handoff claimed", extra={"handoff_id": handoff_id})

    async def handoff_closed(self, handoff_id: int, outcome: str, staff_name: str | None) -> None:
        log.info("handoff closed", extra={"handoff_id": handoff_id, "outcome": outcome})

    async def agent_replied(self, handoff_id: int, staff_name: str | None, text: str) -> None:
        log.info("agent replied through the staff API", extra={"handoff_id": handoff_id})

    async def delivery_failed(self, handoff_id: int, notice: str) -> None:
        log.warning(notice, extra={"handoff_id": handoff_id})


@dataclass(frozen=True, slots=True)
class _ToCustomer:
    """A message to the customer, logged with its outbox row: where it goes."""

    channel: str
    address: str


class HandoffService:
    def __init__(
        self,
        database: Database,
        desk: AgentDesk,
        *,
        outbox_written: Callable[[], None] = lambda: None,
        public_base_url: str = "",
        links: HandoffLinks | None = None,
        surveys: SurveyPolicy | None = None,
        live_channels: Mapping[str, Callable[[str], None]] | None = None,
        too_long_for: Mapping[str, Callable[[str], str | None]] | None = None,
        reachable: frozenset[str] | None = None,
    ) -> None:
        """`live_channels`: channels (by name) whose send only tells the customer's open
        sockets to read the store (web chat, channels/web/outbound.py), with what to call
        with the address. They are told when what an agent sent is committed, not when
        the delivery worker has claimed its outbox row: a claim transaction sooner on
        the widget, in this process or another (bench/widget_push.py). The row is still
        sent by the worker as every row is (its record; its wake-up then finds nothing
        new), and a widget that was not connected replays it as before.
        `too_long_for`: channels (by name) that take a message only up to a length,
        with what says why an agent's reply is too long for one (None when it fits).
        `reachable`: the channels (by name) this process has a sender for; an agent's
        reply to a conversation on another is refused (None: every channel)."""
        self._db = database
        self.database = database  # read by the work list (bot/handoffs/board.py)
        self.desk = desk
        self._outbox_written = outbox_written
        self._live_channels = dict(live_channels or {})
        self._too_long_for = dict(too_long_for or {})
        self._reachable = reachable
        self._base_url = public_base_url.rstrip("/")
        # The card's link: a signed page link when there are links, else the API record.
        self.links = links
        self._surveys = surveys or SurveyPolicy(enabled=False)

    # -- what the engine reports -------------------------------------------------

    async def opened(self, handoff_id: int) -> None:
        packet = await to_thread.run_sync(self.packet, handoff_id)
        await self.desk.handoff_opened(packet)

    async def customer_wrote(self, conversation_id: int, message: InteractionRecord) -> None:
        def active() -> HandoffRecord | None:
            with self._db.transaction() as session:
                return handoffs.active_handoff(session, conversation_id)

        handoff = await to_thread.run_sync(active)
        if handoff is not None:
            await self.desk.customer_wrote(
                CustomerUpdate(
                    handoff.id,
                    conversation_id,
                    message.text,
                    message.created_at,
                    files=sent_files(message.attributes),
                )
            )

    # -- what agents do ------------------------------------------------------------

    async def claim(self, handoff_id: int, staff_id: int) -> ClaimResult:
        def run() -> tuple[ClaimResult, _ToCustomer | None]:
            with self._db.transaction() as session:
                won = handoffs.claim(session, handoff_id, staff_id)
                current = handoffs.get_handoff(session, handoff_id)
                if current is None:
                    raise HandoffNotFound(f"there is no handoff {handoff_id}")
                if current.status not in handoffs.ACTIVE:
                    raise HandoffError("this conversation is no longer with a person")
                owner = _staff(session, current.claimed_by_staff_id)
                sent = None
                if won:
                    first_name = (owner.name if owner else "Someone").split(" ")[0]
                    sent = self._to_customer(session, current, CLAIMED.format(name=first_name))
                    _assign_ticket(session, current, staff_id)
                result = ClaimResult(
                    won, handoff_id, current.claimed_by_staff_id, owner.name if owner else None
                )
                return result, sent

        result, sent = await to_thread.run_sync(run)
        if sent is not None:
            self._written(sent)
            # Told whoever claimed it, so a claim made through the staff API shows on the
            # desk too (the Slack desk redraws its card with the owner).
            await self.desk.handoff_claimed(handoff_id, result.owner_name)
        return result

    async def reply(
        self,
        handoff_id: int,
        staff_id: int,
        text: str,
        *,
        note: bool = False,
        from_outside_desk: bool = False,
        attributes: Mapping[str, Any] | None = None,
        request_key: str | None = None,
    ) -> bool:
        """Send `text` to the customer (or note it on the ticket). `from_outside_desk`:
        the reply came through the staff API, so the desk is shown it too (a reply typed
        in the Slack thread is there already). `request_key`: the client's
        Idempotency-Key; the same request under it again does nothing and returns False
        (True when carried out), another request under it raises RequestKeyReused."""
        request = reply_keys.reply_request(handoff_id, text, note=note)

        def run() -> tuple[str | None, _ToCustomer | None] | None:
            with self._db.transaction() as session:
                # Before the handoff's state: a retry after the agent went on to
                # resolve it is still the reply already sent, not a refusal.
                try:
                    if request_key and not reply_keys.take_key(
                        session, staff_id, request_key, request
                    ):
                        return None
                except reply_keys.ReplyKeyReused as exc:
                    raise RequestKeyReused(str(exc)) from exc
                handoff = self._owned(session, handoff_id, staff_id, note=note)
                sent = None
                if note:
                    self._note(session, handoff, staff_id, text)
                else:
                    self._fits_one_message(session, handoff, text)
                    sent = self._to_customer(
                        session,
                        handoff,
                        text,
                        author="agent",
                        staff_id=staff_id,
                        attributes=attributes,
                    )
                staff = _staff(session, staff_id)
                return (staff.name if staff else None), sent

        done = await to_thread.run_sync(run)
        if done is None:
            return False
        staff_name, sent = done
        if sent is not None:
            self._written(sent)
            if from_outside_desk:
                await self.desk.agent_replied(handoff_id, staff_name, text)
        return True

    async def resolve(
        self, handoff_id: int, staff_id: int, *, keep_ticket_open: bool = False
    ) -> bool:
        """Resolve the handoff and the conversation; its ticket is solved too unless
        `keep_ticket_open` (the chat is over, the work is not)."""
        return await self._close(
            handoff_id, staff_id, "resolved", RESOLVED, solve_ticket=not keep_ticket_open
        )

    async def return_to_bot(self, handoff_id: int, staff_id: int) -> bool:
        return await self._close(handoff_id, staff_id, "returned_to_bot", BACK_TO_BOT)

    async def _close(
        self, handoff_id: int, staff_id: int, outcome: str, told: str, *, solve_ticket: bool = False
    ) -> bool:
        def run() -> tuple[str, _ToCustomer] | None:
            with self._db.transaction() as session:
                current = handoffs.get_handoff(session, handoff_id)
                if current is None:
                    raise HandoffNotFound(f"there is no handoff {handoff_id}")
                owner = current.claimed_by_staff_id
                closer = _staff(session, staff_id)
                if owner not in (None, staff_id) and (closer is None or closer.role != "admin"):
                    holder = _staff(session, owner)
                    raise NotYourHandoff(
                        f"{holder.name if holder else 'another agent'} has this conversation; "
                        "only they or an admin can close it"
                    )
                closed = handoffs.close(session, handoff_id, outcome, staff_id=staff_id)
                if closed is None:
                    return None
                sent = self._to_customer(session, closed, told, author="system", staff_id=staff_id)
                if outcome == "resolved":
                    ask_after_resolution(session, closed.conversation_id, self._surveys)
                if solve_ticket:
                    _solve_ticket(session, closed, staff_id)
                staff = _staff(session, staff_id)
                return (staff.name if staff else ""), sent

        closing = await to_thread.run_sync(run)
        if closing is None:
            return False
        staff_name, sent = closing
        self._written(sent)
        await self.desk.handoff_closed(handoff_id, outcome, staff_name or None)
        return True

    # -- helpers -------------------------------------------------------------------

    def _written(self, sent: _ToCustomer) -> None:
        """After the commit of a message to the customer: wake the delivery worker, and
        the customer's open sockets when its channel's send does no more than that."""
        live = self._live_channels.get(sent.channel)
        if live is not None:
            live(sent.address)
        self._outbox_written()

    @staticmethod
    def _owned(
        session: Session, handoff_id: int, staff_id: int, *, note: bool = False
    ) -> HandoffRecord:
        """The live handoff `staff_id` may write on: a reply only when they claimed it; a
        note, from any staff user (colleagues answering the owner, or talking before
        anyone claimed it, need not claim: nothing of it reaches the customer)."""
        handoff = handoffs.get_handoff(session, handoff_id)
        if handoff is None:
            raise HandoffNotFound(f"there is no handoff {handoff_id}")
        if handoff.status == handoffs.SUPERSEDED:
            live = handoffs.active_handoff(session, handoff.conversation_id)
            if live is None:
                raise HandoffError("this card was a duplicate, and the conversation is closed")
            raise HandoffError(
                f"this card is a duplicate; reply in the thread of handoff #{live.id}'s card"
            )
        if handoff.status not in handoffs.ACTIVE:
            raise HandoffError("this conversation is no longer with a person")
        if note:
            return handoff
        if handoff.claimed_by_staff_id is None:
            raise HandoffError(
                "nobody has claimed this conversation yet: press Claim first "
                "(a note for colleagues needs no claim)"
            )
        if handoff.claimed_by_staff_id != staff_id:
            raise HandoffError(
                "only the agent who claimed this conversation can reply "
                "(a note for colleagues needs no claim)"
            )
        return handoff

    @staticmethod
    def _to_customer(
        session: Session,
        handoff: HandoffRecord,
        text: str,
        *,
        author: str = "system",
        staff_id: int | None = None,
        attributes: Mapping[str, Any] | None = None,
    ) -> _ToCustomer:
        conversation = history.get_conversation(session, handoff.conversation_id)
        assert conversation is not None
        identity = customers.get_identity(session, conversation.identity_id)
        assert identity is not None
        record = outbox.log_outbound(
            session,
            conversation,
            identity.address,
            NewInteraction(
                direction="out",
                author=author,
                text=text,
                staff_id=staff_id,
                delivery_status="pending",
                attributes={**(attributes or {}), "handoff_id": handoff.id},
            ),
        )
        return _ToCustomer(record.channel, identity.address)

    def _fits_one_message(self, session: Session, handoff: HandoffRecord, text: str) -> None:
        conversation = history.get_conversation(session, handoff.conversation_id)
        if (
            conversation is not None
            and self._reachable is not None
            and conversation.channel not in self._reachable
        ):
            because = _UNREACHABLE_BECAUSE.get(conversation.channel, "it has no sender here")
            raise CannotReachCustomer(
                f"this customer wrote by {conversation.channel}, and a reply cannot reach "
                f"them: {because}. Add a note instead, or contact them another way"
            )
        too_long = self._too_long_for.get(conversation.channel) if conversation else None
        reason = too_long(text) if too_long is not None else None
        if reason is not None:
            raise ReplyTooLong(reason)

    @staticmethod
    def _note(session: Session, handoff: HandoffRecord, staff_id: int, text: str) -> None:
        # The handoff's ticket (this conversation's, or the customer's one open ticket);
        # a new one only when there is no such ticket, never a second beside it.
        open_ticket = tickets.ticket_of_conversation(
            session, handoff.customer_id, handoff.conversation_id
        )
        if open_ticket is None:
            open_ticket = tickets.open_ticket(
                session,
                customer_id=handoff.customer_id,
                subject="Notes on a handed-off conversation",
                conversation_id=handoff.conversation_id,
                author="agent",
                staff_id=staff_id,
            )
        tickets.add_event(
            session,
            open_ticket.id,
            kind="note",
            author="agent",
            staff_id=staff_id,
            body=text,
            data={"handoff_id": handoff.id},
        )

    # -- what delivery reports -------------------------------------------------------

    async def delivery_failed(self, interaction_id: int, status: str, reason: str) -> None:
        """Delivery gave up on a message (`failed`, or `opted_out`): when it was an
        agent's reply in a handoff, or the bot's or the system's words in a conversation
        now with a person, tell the agent on the desk, in words."""

        def find() -> tuple[int, str] | None:
            with self._db.transaction() as session:
                message = history.get_interaction(session, interaction_id)
                handoff_id = message.attributes.get("handoff_id")
                if message.author != "agent" or not isinstance(handoff_id, int):
                    # "Passing you to a person", "Sam has joined", a bot answer: the card
                    # drew them as on their way (one that had failed already is marked
                    # on it, bot/handoffs/undelivered.py); the thread says they never came.
                    live = handoffs.active_handoff(session, message.conversation_id)
                    if message.direction != "out" or live is None:
                        return None
                    handoff_id = live.id
                return handoff_id, failure_notice(message.text, message.channel, status, reason)

        found = await to_thread.run_sync(find)
        if found is not None:
            await self.desk.delivery_failed(*found)

    def packet(self, handoff_id: int) -> HandoffPacket:
        """Everything the agent needs, read in one transaction."""
        with self._db.transaction() as session:
            handoff = handoffs.get_handoff(session, handoff_id)
            if handoff is None:
                raise HandoffNotFound(f"there is no handoff {handoff_id}")
            conversation = history.get_conversation(session, handoff.conversation_id)
            customer = customers.get_customer(session, handoff.customer_id)
            assert conversation is not None and customer is not None
            identity = customers.get_identity(session, conversation.identity_id)
            account = session.get(Account, customer.account_id) if customer.account_id else None
            messages = history.messages_after(
                session, conversation.id, max(0, conversation.last_seq - LAST_MESSAGES)
            )
            return HandoffPacket(
                handoff_id=handoff.id,
                conversation_id=conversation.id,
                customer_id=customer.id,
                channel=conversation.channel,
                reason=handoff.reason,
                intent=handoff.intent,
                confidence=handoff.confidence,
                created_at=handoff.created_at,
                customer_name=customer.name,
                customer_email=customer.email,
                customer_phone=customer.phone,
                customer_verified=bool(identity and identity.verified),
                lifecycle_stage=customer.lifecycle_stage,
                account_name=account.name if account else None,
                summary=summarise(
                    handoff, messages, history.first_from_customer(session, conversation.id)
                ),
                last_messages=[
                    PacketMessage(
                        m.author, m.text, m.created_at, sent_files(m.attributes), undelivered(m)
                    )
                    for m in messages
                ],
                passages_tried=_passages(messages),
                open_tickets=[
                    {
                        "number": t.number,
                        "subject": t.subject,
                        "status": t.status,
                        "priority": t.priority,
                    }
                    for t in tickets.open_tickets_of(session, customer.id)
                ],
                recent_orders=[
                    {
                        "number": o.number,
                        "status": o.status,
                        "total": f"{o.total_cents / 100:.2f} {o.currency}",
                        "placed_at": o.placed_at.date().isoformat(),
                    }
                    for o in orders.recent_orders_of(session, customer.id)
                ],
                record_url=(
                    self.links.url(handoff.id)
                    if self.links is not None
                    else f"{self._base_url}/api/v1/handoffs/{handoff.id}"
                ),
            )


_REASONS = {
    HandoffReason.CUSTOMER_ASKED: "asked for a person",
    HandoffReason.NOT_UNDERSTOOD: "was not understood twice in a row",
    HandoffReason.NOT_IN_HELP_CENTRE: "asked about something the help centre does not cover",
    HandoffReason.COMPLAINT: "is unhappy (complaint)",
    HandoffReason.REPLY_LIMIT: "wrote again past the hourly reply limit (held back unanswered)",
}


def summarise(
    handoff: HandoffRecord, messages: list[InteractionRecord], opening: InteractionRecord | None
) -> str:
    """A short, factual summary: why it was handed over, what the customer wanted lately,
    and how the conversation began (`opening`, its first customer message)."""
    said = [m for m in messages if m.author == "customer"]
    wanted = [m.intent for m in said if m.intent and m.intent not in (FALLBACK_INTENT, "affirm")]
    topics = ", ".join(dict.fromkeys(i.replace("_", " ") for i in wanted)) or "unclear"
    first = opening.text if opening is not None else ""
    if len(first) > 160:
        first = first[:157] + "..."
    reason = _REASONS.get(handoff.reason, handoff.reason)
    return f"The customer {reason}. Topics: {topics}. First message: “{first}”"


def _passages(messages: list[InteractionRecord]) -> list[dict[str, object]]:
    """The articles the bot cited or weighed (its route's candidates), for the agent."""
    seen: dict[str, dict[str, object]] = {}
    for message in messages:
        for source in message.sources:
            key = article_key(str(source.get("source"))) or str(source.get("title"))
            seen.setdefault(
                key,
                {
                    "title": source.get("title"),
                    "url": source.get("source"),
                    "score": source.get("score"),
                },
            )
        route = message.attributes.get("route") or {}
        for candidate in route.get("candidates") or []:
            if candidate.get("kind") == "article":
                weighed = {"title": candidate.get("title"), "url": None}
                weighed["score"] = candidate.get("score")
                seen.setdefault(str(candidate.get("name")), weighed)
    return list(seen.values())[:5]


def failure_notice(text: str, channel: str, status: str, reason: str) -> str:
    """What the agents read in the card's thread when a message in the handoff did not
    reach the customer: an agent's reply, or the bot's or the system's words sent while
    the conversation is with a person (`delivery_failed`)."""
    quoted = text if len(text) <= 80 else text[:77] + "..."
    if status == "opted_out":
        why = (
            f"the customer has opted out of {channel} messages ({reason}). Nothing more "
            f"reaches them by {channel} until they opt back in"
        )
    else:
        why = reason
    return f"Not delivered: “{quoted}”: {why}."


def _assign_ticket(session: Session, handoff: HandoffRecord, staff_id: int) -> None:
    """The handoff's ticket goes to the agent who claimed the handoff."""
    ticket = tickets.ticket_of_conversation(session, handoff.customer_id, handoff.conversation_id)
    if ticket is not None:
        tickets.change_ticket(
            session, ticket.number, staff_id=staff_id, author="agent", assigned_staff_id=staff_id
        )


def _solve_ticket(session: Session, handoff: HandoffRecord, staff_id: int) -> None:
    """The handoff's ticket is solved with it."""
    ticket = tickets.ticket_of_conversation(session, handoff.customer_id, handoff.conversation_id)
    if ticket is not None:
        tickets.change_ticket(
            session, ticket.number, staff_id=staff_id, author="agent", status=TicketStatus.SOLVED
        )


def _staff(session: Session, staff_id: int | None) -> StaffUser | None:
    return session.get(StaffUser, staff_id) if staff_id is not None else None
