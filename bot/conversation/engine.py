"""The conversation engine: record each inbound message once, answer it, log the answer.

Two short transactions per message, with the dialogue in between so no database
transaction is held while the bot thinks:

1. intake: dedupe on (channel, provider message id), resolve the customer from the
   channel address, append the message to the conversation, write the receipt.
2. answer: claim the receipt (`received` -> `answered`, first caller wins), append the
   replies and their outbox rows together.

A provider retry that finds an answered receipt gets the original result and writes
nothing. One that finds it unanswered (the first attempt died or is still thinking)
computes replies too, but only one of the two can claim the receipt, so the customer is
answered once. The intake holds the receipt for `answer_within_seconds`; a message still
unanswered after that is stranded, and the sweeper (stranded.py) answers it the same way.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any, Protocol

from anyio import to_thread
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.conversation.dialogue import Dialogue, Reply, Turn, Understander, Understanding
from bot.conversation.reply_hints import reply_hints
from bot.conversation.turn_queue import TurnQueue
from bot.surveys import THANKS, SurveyPolicy, read_rating
from channels.messages import (
    Channel,
    ConversationMessage,
    InboundMessage,
    IntakeResult,
    quick_replies,
)
from crm_store import Database, customers, history, outbox, receipts, surveys
from crm_store.base import utcnow
from crm_store.records import (
    ConversationRecord,
    CustomerRecord,
    IdentityRecord,
    InteractionRecord,
    NewInteraction,
    ReceiptRecord,
)

log = logging.getLogger(__name__)

_INTAKE_TRIES = 3
SOMETHING_WENT_WRONG = (
    "Sorry, something went wrong on our side while reading that. Could you try again? "
    "If you'd rather reach a person, just say so."
)
_HISTORY_WINDOW = 20
# Conversations owned by a person (or waiting for one) get no bot replies.
_PERSON_OWNERS = frozenset({"agent", "queued_for_agent"})


class HandoffEvents(Protocol):
    """What the engine reports about handed-off conversations (bot/handoffs/service.py)."""

    async def opened(self, handoff_id: int) -> None: ...

    async def customer_wrote(self, conversation_id: int, message: InteractionRecord) -> None: ...


@dataclass(frozen=True, slots=True)
class _Intake:
    receipt: ReceiptRecord
    customer: CustomerRecord
    identity: IdentityRecord | None
    conversation: ConversationRecord
    message: InteractionRecord
    history: list[InteractionRecord]
    answered: list[InteractionRecord] | None  # set when a retry finds the answer logged

    @property
    def rates_a_survey(self) -> bool:
        """The message is the rating a survey asked for (kept on the resolved
        conversation, which it does not reopen): thanked, not run through the dialogue."""
        return self.message.attributes.get("survey_id") is not None


def _recent(session: Session, conversation_id: int, seq: int) -> list[InteractionRecord]:
    """The message `seq` and up to _HISTORY_WINDOW messages before it, for the dialogue."""
    rows = history.messages_after(session, conversation_id, max(0, seq - _HISTORY_WINDOW - 1))
    return [row for row in rows if row.seq <= seq]


def view(record: InteractionRecord) -> ConversationMessage:
    return ConversationMessage(
        conversation_id=record.conversation_id,
        seq=record.seq,
        direction=record.direction,
        author=record.author,
        text=record.text,
        created_at=record.created_at,
        client_message_id=record.attributes.get("client_message_id"),
        choices=quick_replies(record.attributes),
    )


def _inbound_attributes(message: InboundMessage) -> dict[str, Any]:
    attributes = dict(message.attributes)
    if message.no_reply_reason is not None:
        attributes["no_reply_reason"] = message.no_reply_reason
    return attributes


class ConversationEngine:
    def __init__(
        self,
        database: Database,
        dialogue: Dialogue,
        *,
        understander: Understander | None = None,
        outbox_written: Callable[[], None] = lambda: None,
        handoffs: HandoffEvents | None = None,
        answer_within_seconds: float = 60.0,
        surveys: SurveyPolicy | None = None,
        answered_in_response: Mapping[Channel, Callable[[str], None]] | None = None,
        turns: TurnQueue | None = None,
    ) -> None:
        """`answer_within_seconds` is the intake's lease on each message: how long a
        healthy answer may take before the sweeper treats the message as stranded.
        `answered_in_response`: channels whose replies the customer's own request carries
        back (web chat: the HTTP answer, the widget's socket reading the store), with
        what to call, after the answer is committed, with the address. Their replies are
        recorded sent in the answer transaction rather than sent by the delivery worker;
        they skip the worker's consent check, which cannot apply to an answer the
        customer's request is waiting for. `turns`: how many messages are worked on at
        once, the others waiting in arrival order (turn_queue.py); default: no limit."""
        self._db = database
        self._answer_within = timedelta(seconds=answer_within_seconds)
        self._dialogue = dialogue
        self._understander = understander
        self._outbox_written = outbox_written
        self._handoffs = handoffs
        self._surveys = surveys or SurveyPolicy(enabled=False)
        self._answered_in_response = dict(answered_in_response or {})
        self._turns = turns

    async def receive(self, message: InboundMessage) -> IntakeResult:
        if self._turns is None:
            return await self._turn(message)
        async with self._turns.turn():
            return await self._turn(message)

    async def _turn(self, message: InboundMessage) -> IntakeResult:
        intake = await self._intake(message)
        if intake.answered is not None:
            log.info(
                "duplicate inbound ignored",
                extra={"channel": message.channel.value, "conversation_id": intake.conversation.id},
            )
            return self._result(intake, intake.answered, duplicate=True)
        understanding: Understanding | None = None
        replies: list[Reply] = []
        slots: dict[str, Any] | None = None
        person_owned = intake.conversation.owner in _PERSON_OWNERS
        if message.no_reply_reason is not None:
            log.info(
                "inbound logged without a reply",
                extra={"channel": message.channel.value, "reason": message.no_reply_reason},
            )
        elif intake.rates_a_survey:
            replies = [Reply(THANKS, intent="survey_rating", confidence=1.0)]
        elif message.preset_reply is not None:
            # A person owns the conversation: the bot says nothing over them ("we got
            # your picture, tell me in words..."), except a consent notice (an SMS
            # STOP's confirmation, HELP), which carriers require whoever owns it.
            if not person_owned or message.preset_reply_attributes.get("consent_notice"):
                replies = [
                    Reply(
                        message.preset_reply,
                        intent="preset",
                        confidence=1.0,
                        attributes=dict(message.preset_reply_attributes),
                    )
                ]
        else:
            understanding = await self._understand(message)
            if not person_owned:
                turn = Turn(
                    intake.customer,
                    intake.conversation,
                    intake.message,
                    intake.history,
                    understanding,
                    identity=intake.identity,
                    slots=dict(intake.conversation.slots),
                    authenticated=message.profile.verified,
                )
                replies = await self._respond(turn)
                if turn.slots != intake.conversation.slots:
                    slots = turn.slots
                if message.reply_note and replies:
                    first = replies[0]
                    replies[0] = replace(first, text=f"{message.reply_note}\n\n{first.text}")
        won, logged = await self._db.write_async(  # one transaction (SQLite: the writer's)
            lambda session: self._answer(session, intake, message, replies, understanding, slots)
        )
        woken = self._answered_in_response.get(message.channel)
        if woken is not None:
            if won and logged:  # the winner wakes the sockets; a loser's replies are its
                woken(message.address)
        elif logged:
            self._outbox_written()
        if won:  # a concurrent answer (a retry, the sweeper) reported it already
            await self._report_handoffs(intake, replies, person_owned=person_owned)
        log.info(
            "inbound answered",
            extra={
                "channel": message.channel.value,
                "conversation_id": intake.conversation.id,
                "customer_id": intake.customer.id,
                "replies": len(logged),
                "intent": replies[0].intent if replies else None,
            },
        )
        return self._result(intake, logged, duplicate=False)

    async def _report_handoffs(
        self, intake: _Intake, replies: list[Reply], *, person_owned: bool
    ) -> None:
        """Tell the agent desk about a new handoff, or pass on what the customer wrote
        while a person has the conversation. A desk failure never loses the message:
        it is logged in the history either way."""
        if self._handoffs is None:
            return
        try:
            if person_owned:
                await self._handoffs.customer_wrote(intake.conversation.id, intake.message)
            # Once per handoff: a handoff said in two replies (the customer's language's
            # line, then the English one) carries its id on both.
            opened = [reply.attributes.get("handoff_id") for reply in replies]
            for handoff_id in dict.fromkeys(h for h in opened if isinstance(h, int)):
                await self._handoffs.opened(handoff_id)
        except Exception:
            log.exception(
                "the agent desk could not be told",
                extra={"conversation_id": intake.conversation.id},
            )

    async def _respond(self, turn: Turn) -> list[Reply]:
        """The dialogue's replies; if it fails, an apology, so no message goes unanswered."""
        try:
            return await self._dialogue.respond(turn)
        except Exception:
            log.exception(
                "dialogue failed; apologising", extra={"conversation_id": turn.conversation.id}
            )
            return [Reply(SOMETHING_WENT_WRONG, intent="error", confidence=0.0)]

    async def _understand(self, message: InboundMessage) -> Understanding | None:
        """NLU for every inbound message; if it fails, the bot answers without it."""
        if self._understander is None:
            return None
        try:
            return await self._understander.understand(message.text)
        except Exception:
            log.exception(
                "NLU failed; answering without it", extra={"channel": message.channel.value}
            )
            return None

    async def messages_after(
        self, channel: Channel, address: str, after_seq: int
    ) -> tuple[int | None, list[ConversationMessage]]:
        """The conversation of one channel address, after a sequence number."""
        return await to_thread.run_sync(self._messages_after, channel, address, after_seq)

    def _messages_after(
        self, channel: Channel, address: str, after_seq: int
    ) -> tuple[int | None, list[ConversationMessage]]:
        # Every widget socket woken by a reply reads here: a read, so on SQLite it does
        # not queue behind the writers' lock. Each statement sees what was committed
        # when it ran (PostgreSQL autocommit), which a reader of an append-only history
        # after a seq needs no more than.
        with self._db.reading() as session:
            identity = customers.find_identity(session, channel.value, address)
            if identity is None:
                return None, []
            conversation = history.latest_conversation_of_identity(session, identity.id)
            if conversation is None:
                return None, []
            rows = history.messages_after(session, conversation.id, after_seq)
            return conversation.id, [view(row) for row in rows]

    @staticmethod
    def _result(
        intake: _Intake, replies: list[InteractionRecord], *, duplicate: bool
    ) -> IntakeResult:
        return IntakeResult(
            conversation_id=intake.conversation.id,
            message=view(intake.message),
            replies=[view(reply) for reply in replies],
            duplicate=duplicate,
            no_reply_reason=intake.message.attributes.get("no_reply_reason"),
        )

    async def _intake(self, message: InboundMessage) -> _Intake:
        for attempt in range(1, _INTAKE_TRIES + 1):
            try:
                return await self._db.write_async(
                    lambda session: self._intake_once(session, message)
                )
            except IntegrityError:
                # A concurrent request created the same receipt, identity or open
                # conversation first; the next try finds and uses it.
                if attempt == _INTAKE_TRIES:
                    raise
        raise AssertionError("unreachable")

    def _intake_once(self, session: Session, message: InboundMessage) -> _Intake:
        channel = message.channel.value
        receipt = receipts.find_receipt(session, channel, message.provider_message_id)
        if receipt is not None:
            return self._known(session, receipt)
        customer, identity, latest = customers.resolve_identity_and_latest(
            session,
            channel,
            message.address,
            name=message.profile.name,
            email=message.profile.email,
            phone=message.profile.phone,
            verified=message.profile.verified,
            address_is_claim=message.address_is_claim,
        )
        attributes = _inbound_attributes(message)
        rating = self._survey_rating(session, identity.id, message.text)
        if rating is not None:
            conversation, survey_id, score, comment = rating
            attributes["survey_id"] = survey_id
        else:
            conversation = history.conversation_replied_to(
                session,
                customer_id=customer.id,
                channel=channel,
                provider_message_ids=message.replies_to,
            ) or history.current_conversation(
                session,
                customer_id=customer.id,
                identity_id=identity.id,
                channel=channel,
                latest=latest,
            )
        recorded = history.append(
            session,
            conversation,
            NewInteraction(
                direction="in",
                author="customer",
                text=message.text,
                provider_message_id=message.provider_message_id,
                attributes=attributes,
            ),
        )
        if rating is not None:
            surveys.answer(session, survey_id, score, comment)
        receipt = receipts.add_receipt(
            session,
            channel=channel,
            provider_message_id=message.provider_message_id,
            conversation_id=conversation.id,
            interaction_id=recorded.id,
            address=message.address,
            reply_hints=reply_hints(message),
            answer_within=self._answer_within,
        )
        recent = _recent(session, conversation.id, recorded.seq)
        return _Intake(receipt, customer, identity, conversation, recorded, recent, None)

    def _survey_rating(
        self, session: Session, identity_id: int, text: str
    ) -> tuple[ConversationRecord, int, int, str | None] | None:
        """(the resolved conversation, survey id, score, comment) when the message rates
        the survey its identity's latest conversation is waiting on; else None."""
        if not self._surveys.enabled:
            return None
        rating = read_rating(text)
        if rating is None:
            return None
        latest = history.latest_conversation_of_identity(session, identity_id)
        if latest is None or latest.status != "resolved":
            return None
        survey = surveys.awaiting_answer(
            session, latest.id, asked_after=utcnow() - self._surveys.answer_within
        )
        if survey is None:
            return None
        return latest, survey.id, rating[0], rating[1]

    def _known(self, session: Session, receipt: ReceiptRecord) -> _Intake:
        conversation = history.get_conversation(session, receipt.conversation_id)
        assert conversation is not None
        customer = customers.get_customer(session, conversation.customer_id)
        assert customer is not None
        recorded = history.get_interaction(session, receipt.interaction_id)
        if receipt.status == "answered":  # a plain retry: the answer is all it needs
            answered = history.replies_to(session, receipt.interaction_id)
            return _Intake(receipt, customer, None, conversation, recorded, [], answered)
        identity = customers.get_identity(session, conversation.identity_id)
        recent = _recent(session, conversation.id, recorded.seq)
        return _Intake(receipt, customer, identity, conversation, recorded, recent, None)

    def _answer(
        self,
        session: Session,
        intake: _Intake,
        message: InboundMessage,
        replies: list[Reply],
        understanding: Understanding | None,
        slots: dict[str, Any] | None,
    ) -> tuple[bool, list[InteractionRecord]]:
        """Log the answer if this caller wins the receipt. Returns whether it won, and
        the replies logged: its own, or those of the caller that won."""
        if not receipts.mark_answered(session, intake.receipt.id):
            return False, history.replies_to(session, intake.message.id)
        if slots is not None and not replies:
            history.set_slots(session, intake.conversation.id, slots)
        if understanding is not None:
            history.record_understanding(
                session,
                intake.message.id,
                intent=understanding.intent,
                confidence=understanding.confidence,
                entities=understanding.entities,
            )
        logged = []
        log_reply = (
            outbox.log_answered_in_response
            if message.channel in self._answered_in_response
            else outbox.log_outbound
        )
        for index, reply in enumerate(replies):
            record = log_reply(
                session,
                intake.conversation,
                message.address,
                NewInteraction(
                    direction="out",
                    author="bot",
                    text=reply.text,
                    intent=reply.intent,
                    confidence=reply.confidence,
                    sources=list(reply.sources),
                    in_reply_to_id=intake.message.id,
                    delivery_status="pending",
                    attributes=dict(reply.attributes),
                ),
                # With the first reply's numbering: one UPDATE of the conversation.
                slots=slots if index == 0 else None,
            )
            logged.append(record)
        return True, logged
