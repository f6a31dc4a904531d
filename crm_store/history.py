"""Conversations and the interaction history: every message in and out, in order."""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    ColumnElement,
    Integer,
    Row,
    bindparam,
    case,
    cast,
    func,
    insert,
    literal,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Session

from crm_store import webhooks
from crm_store.base import utcnow
from crm_store.customers import LatestConversation
from crm_store.event_log import event_row, record_event, record_events, route_decisions
from crm_store.models import Conversation, Interaction
from crm_store.records import ConversationRecord, InteractionRecord, NewInteraction


def conversation_record(row: Conversation) -> ConversationRecord:
    return ConversationRecord(
        id=row.id,
        customer_id=row.customer_id,
        identity_id=row.identity_id,
        channel=row.channel,
        owner=row.owner,
        status=row.status,
        assigned_staff_id=row.assigned_staff_id,
        last_seq=row.last_seq,
        slots=dict(row.slots or {}),
        cycle=row.cycle,
    )


def interaction_record(row: Interaction | Row[Any]) -> InteractionRecord:
    """From the model or a row of the table (same names)."""
    return InteractionRecord(
        id=row.id,
        conversation_id=row.conversation_id,
        customer_id=row.customer_id,
        seq=row.seq,
        direction=row.direction,
        author=row.author,
        channel=row.channel,
        text=row.text,
        provider_message_id=row.provider_message_id,
        intent=row.intent,
        confidence=row.confidence,
        sources=list(row.sources or []),
        in_reply_to_id=row.in_reply_to_id,
        delivery_status=row.delivery_status,
        attributes=dict(row.attributes or {}),
        created_at=row.created_at,
    )


def _latest_row(session: Session, identity_id: int) -> Conversation | None:
    return session.scalars(_latest_of_identity(), {"identity_id": identity_id}).first()


@functools.cache
def _latest_of_identity() -> Any:
    """Built once: every inbound message asks (see `_one_interaction`)."""
    return (
        select(Conversation)
        .where(Conversation.identity_id == bindparam("identity_id"))
        .order_by(Conversation.id.desc())
        .limit(1)
    )


def current_conversation(
    session: Session,
    *,
    customer_id: int,
    identity_id: int,
    channel: str,
    latest: LatestConversation | None = None,
) -> ConversationRecord:
    """The identity's latest conversation, reopened if it was resolved; a new one if none.

    Reopening (rather than starting afresh) keeps one sequence of messages per widget
    session or phone number, which is what the customer sees on their side. `latest`:
    that conversation as read with the identity in this transaction
    (`customers.resolve_identity_and_latest`); not given, it is read here.
    """
    row = latest.row if latest is not None else _latest_row(session, identity_id)
    if row is None:
        row = Conversation(
            customer_id=customer_id, identity_id=identity_id, channel=channel, last_seq=0
        )
        session.add(row)
        session.flush()
        webhooks.emit(
            session,
            "conversation.created",
            subject=f"conversation:{row.id}",
            customer_id=customer_id,
            data={"conversation_id": row.id, "customer_id": customer_id, "channel": channel},
        )
        record_event(
            session,
            "conversation.opened",
            key=str(row.id),
            actor="customer",
            conversation_id=row.id,
            cycle=1,
            customer_id=customer_id,
            channel=channel,
        )
    elif row.status == "resolved":
        _reopen(session, row)
    return conversation_record(row)


def _reopen(session: Session, row: Conversation) -> None:
    """A resolved conversation written to again: open, the bot's, a new care cycle."""
    row.status = "open"
    row.owner = "bot"
    row.assigned_staff_id = None
    row.resolved_at = None
    row.cycle += 1
    session.flush()
    record_event(
        session,
        "conversation.reopened",
        key=f"{row.id}:{row.cycle}",
        actor="customer",
        conversation_id=row.id,
        cycle=row.cycle,
        customer_id=row.customer_id,
        channel=row.channel,
    )


def resolve(
    session: Session,
    conversation_id: int,
    *,
    actor: str,
    staff_id: int | None = None,
    data: dict[str, Any] | None = None,
    idle_since: datetime | None = None,
) -> ConversationRecord | None:
    """Resolve an open conversation (by an agent, or by the bot) and log it; None when
    it was not open, or (with `idle_since`) when it is not the bot's or was written to
    since. The bot owns it afterwards."""
    row = session.get(Conversation, conversation_id, with_for_update=True)
    if row is None or row.status != "open":
        return None
    if idle_since is not None and (row.owner != "bot" or row.updated_at >= idle_since):
        return None
    row.status = "resolved"
    row.owner = "bot"
    row.assigned_staff_id = None
    row.resolved_at = utcnow()
    session.flush()
    record_event(
        session,
        "conversation.resolved",
        key=f"{row.id}:{row.cycle}",
        actor=actor,
        conversation_id=row.id,
        cycle=row.cycle,
        customer_id=row.customer_id,
        channel=row.channel,
        staff_id=staff_id,
        occurred_at=row.resolved_at,
        data=data,
    )
    return conversation_record(row)


def conversation_replied_to(
    session: Session, *, customer_id: int, channel: str, provider_message_ids: Sequence[str]
) -> ConversationRecord | None:
    """The conversation holding the message a reply answers, by provider message ids
    (most specific first), among this customer's interactions on this channel; never by
    subject. A resolved one reopens, unless its identity has another open conversation:
    then None, and the caller uses the current one."""
    wanted = list(dict.fromkeys(provider_message_ids))[:50]
    if not wanted:
        return None
    rows = session.execute(
        select(Interaction.provider_message_id, Interaction.conversation_id).where(
            Interaction.customer_id == customer_id,
            Interaction.channel == channel,
            Interaction.provider_message_id.in_(wanted),
        )
    )
    found = {provider_id: conversation_id for provider_id, conversation_id in rows}
    match = next((found[key] for key in wanted if key in found), None)
    if match is None:
        return None
    row = session.get_one(Conversation, match)
    if row.status == "resolved":
        other_open = session.scalar(
            select(Conversation.id).where(
                Conversation.identity_id == row.identity_id,
                Conversation.status == "open",
                Conversation.id != row.id,
            )
        )
        if other_open is not None:
            return None
        _reopen(session, row)
    return conversation_record(row)


def answered_message(session: Session, interaction_id: int) -> InteractionRecord | None:
    """The inbound message an outbound one answers: the one it replies to, or else the
    customer's latest message before it in the conversation (an agent's reply)."""
    outbound = session.get_one(Interaction, interaction_id)
    if outbound.in_reply_to_id is not None:
        return interaction_record(session.get_one(Interaction, outbound.in_reply_to_id))
    row = session.scalars(
        select(Interaction)
        .where(
            Interaction.conversation_id == outbound.conversation_id,
            Interaction.direction == "in",
            Interaction.seq < outbound.seq,
        )
        .order_by(Interaction.seq.desc())
        .limit(1)
    ).first()
    return interaction_record(row) if row is not None else None


def get_conversation(session: Session, conversation_id: int) -> ConversationRecord | None:
    row = session.get(Conversation, conversation_id)
    return conversation_record(row) if row is not None else None


def latest_conversation_of_identity(
    session: Session, identity_id: int
) -> ConversationRecord | None:
    row = _latest_row(session, identity_id)
    return conversation_record(row) if row is not None else None


def set_owner(
    session: Session, conversation_id: int, owner: str, *, staff_id: int | None = None
) -> None:
    session.execute(
        update(Conversation)
        .where(Conversation.id == conversation_id)
        .values(owner=owner, assigned_staff_id=staff_id, updated_at=utcnow())
    )


def set_slots(session: Session, conversation_id: int, slots: dict[str, Any]) -> None:
    session.execute(
        update(Conversation).where(Conversation.id == conversation_id).values(slots=slots)
    )


def append(
    session: Session,
    conversation: ConversationRecord,
    new: NewInteraction,
    *,
    slots: dict[str, Any] | None = None,
) -> InteractionRecord:
    """Add one message to a conversation with the next sequence number; `slots`, when
    given, become the conversation's dialogue slots in the same UPDATE."""
    return append_many(
        session,
        [(conversation, new)],
        slots={conversation.id: slots} if slots is not None else None,
    )[0]


def append_many(
    session: Session,
    items: Sequence[tuple[ConversationRecord, NewInteraction]],
    *,
    slots: Mapping[int, dict[str, Any]] | None = None,
) -> list[InteractionRecord]:
    """Add messages to conversations, each with its conversation's next sequence
    number, in a handful of statements whatever their number (a batch of campaign
    sends logs one message each). Returned in the order given. `slots`: new dialogue
    slots per conversation id, set by the UPDATE that numbers its message when that
    UPDATE is its alone (a turn's answer: one round trip fewer), else by one of their own.

    The counters are bumped with UPDATE ... RETURNING, which takes the row locks on
    PostgreSQL and the write lock on SQLite, so concurrent appends get distinct numbers;
    several conversations are locked in id order first, so two batches cannot deadlock.
    A conversation named twice is bumped once per round.
    """
    if not items:
        return []
    ids = sorted({conversation.id for conversation, _ in items})
    if len(ids) > 1:
        session.execute(
            select(Conversation.id)
            .where(Conversation.id.in_(ids))
            .order_by(Conversation.id)
            .with_for_update()
        ).all()
    numbered: list[tuple[int, int]] = [(0, 0)] * len(items)  # (seq, cycle) per item
    waiting = list(range(len(items)))
    slots_left = dict(slots or {})
    while waiting:
        this_round: dict[int, int] = {}  # conversation id -> item index
        later = []
        for index in waiting:
            conversation_id = items[index][0].id
            if conversation_id in this_round:
                later.append(index)
            else:
                this_round[conversation_id] = index
        if len(this_round) == 1:  # a turn's message: a statement built once
            (only,) = this_round
            params: dict[str, Any] = {"conversation_id": only, "updated_at": utcnow()}
            if only in slots_left:
                params["slots"] = slots_left.pop(only)
            numbering = session.execute(_number_one("slots" in params), params)
            _expire_numbering(session, only)
        else:
            numbering = session.execute(
                update(Conversation)
                .where(Conversation.id.in_(list(this_round)))
                .values(last_seq=Conversation.last_seq + 1, updated_at=utcnow())
                .returning(Conversation.id, Conversation.last_seq, Conversation.cycle)
            )
        for conversation_id, seq, cycle in numbering:
            numbered[this_round[conversation_id]] = (seq, cycle)
        waiting = later
    for conversation_id, new_slots in slots_left.items():
        set_slots(session, conversation_id, new_slots)
    rows = [
        {
            "conversation_id": conversation.id,
            "customer_id": conversation.customer_id,
            "seq": numbered[index][0],
            "direction": new.direction,
            "author": new.author,
            "channel": conversation.channel,
            "text": new.text,
            "provider_message_id": new.provider_message_id,
            "intent": new.intent,
            "confidence": new.confidence,
            "sources": list(new.sources),
            "staff_id": new.staff_id,
            "in_reply_to_id": new.in_reply_to_id,
            "delivery_status": new.delivery_status,
            "attributes": dict(new.attributes),
            "created_at": utcnow(),
        }
        for index, (conversation, new) in enumerate(items)
    ]
    if len(rows) == 1:  # a turn's message: one INSERT ... RETURNING, built once
        records = [interaction_record(session.execute(_one_interaction(), rows[0]).one())]
    else:  # a batch (campaign sends): the unit of work's grouped INSERTs
        added = [Interaction(**row) for row in rows]
        session.add_all(added)
        session.flush()
        records = [interaction_record(row) for row in added]
    record_events(
        session,
        [
            _message_event(record, numbered[index][1], items[index][1].staff_id)
            for index, record in enumerate(records)
        ],
    )
    webhooks.emit_many(
        session,
        "message.created",
        [
            (
                f"conversation:{record.conversation_id}",
                record.customer_id,
                {
                    "interaction_id": record.id,
                    "conversation_id": record.conversation_id,
                    "customer_id": record.customer_id,
                    "seq": record.seq,
                    "direction": record.direction,
                    "author": record.author,
                    "channel": record.channel,
                    "text": record.text,
                    "created_at": record.created_at.isoformat(),
                },
            )
            for record in records
        ],
    )
    return records


@functools.cache
def _number_one(with_slots: bool) -> Any:
    """The next sequence number of one conversation (and its new slots), built once."""
    table = Conversation.__table__
    values = {
        "last_seq": table.c.last_seq + 1,
        "updated_at": bindparam("updated_at", type_=table.c.updated_at.type),
    }
    if with_slots:
        values["slots"] = bindparam("slots", type_=table.c.slots.type)
    return (
        update(table)
        .where(table.c.id == bindparam("conversation_id"))
        .values(values)
        .returning(table.c.id, table.c.last_seq, table.c.cycle)
    )


def _expire_numbering(session: Session, conversation_id: int) -> None:
    """The conversation's object in this session, if one is loaded, reads what the
    table's UPDATE changed when next asked (the model's UPDATE kept it in step)."""
    held = session.identity_map.get(session.identity_key(Conversation, conversation_id))
    if held is not None:
        session.expire(held, ["last_seq", "updated_at", "slots"])


@functools.cache
def _one_interaction() -> Any:
    """INSERT of one message with RETURNING, with bound parameters: the ORM's flush of one
    new row, and building the statement per call, cost a turn more CPU than the SQL
    (bench/turn_cost.py). Its rows read like the model's (same column names)."""
    table = Interaction.__table__
    names = [column.name for column in table.c if column.name != "id"]
    values = {name: bindparam(name, type_=table.c[name].type) for name in names}
    return insert(table).values(values).returning(*table.c)


def _message_event(record: InteractionRecord, cycle: int, staff_id: int | None) -> dict[str, Any]:
    """The message's event: who wrote, and for a bot reply the routing decision(s) it
    stores (`attributes.route`), so answered and fallen-back questions can be counted."""
    data: dict[str, Any] = {"interaction_id": record.id}
    decisions = route_decisions(record.attributes)
    if decisions:
        data["decisions"] = decisions
    if record.in_reply_to_id is not None:
        data["in_reply_to_id"] = record.in_reply_to_id
    if record.attributes.get("survey_id") is not None:
        data["survey_id"] = record.attributes["survey_id"]
    return event_row(
        f"message.{record.direction}",
        key=str(record.id),
        actor=record.author,
        conversation_id=record.conversation_id,
        cycle=cycle,
        customer_id=record.customer_id,
        channel=record.channel,
        staff_id=staff_id,
        occurred_at=record.created_at,
        detail=",".join(decisions) or None,
        data=data,
    )


def replies_to(session: Session, interaction_id: int) -> list[InteractionRecord]:
    rows = session.execute(
        select(Interaction.__table__)
        .where(Interaction.in_reply_to_id == interaction_id)
        .order_by(Interaction.seq)
    )
    return [interaction_record(row) for row in rows]


def messages_after(
    session: Session, conversation_id: int, after_seq: int, *, limit: int = 500
) -> list[InteractionRecord]:
    # The table's rows, not the model's objects: read on every turn (the dialogue's
    # recent history) and by every woken widget, where loading objects cost more CPU
    # than the query (bench/turn_cost.py).
    rows = session.execute(
        _messages_after(), {"conversation_id": conversation_id, "after": after_seq, "limit": limit}
    )
    return [interaction_record(row) for row in rows]


@functools.cache
def _messages_after() -> Any:
    table = Interaction.__table__
    return (
        select(table)
        .where(table.c.conversation_id == bindparam("conversation_id"))
        .where(table.c.seq > bindparam("after"))
        .order_by(table.c.seq)
        .limit(bindparam("limit", type_=Integer))
    )


def timeline(
    session: Session, customer_id: int, *, limit: int = 500, after_id: int = 0
) -> list[InteractionRecord]:
    """A customer's interactions across all channels and conversations, oldest first."""
    rows = session.scalars(
        select(Interaction)
        .where(Interaction.customer_id == customer_id, Interaction.id > after_id)
        .order_by(Interaction.created_at, Interaction.id)
        .limit(limit)
    )
    return [interaction_record(row) for row in rows]


def set_delivery_status(
    session: Session, interaction_id: int, status: str, *, provider_message_id: str | None = None
) -> None:
    """The send's outcome; the provider's id too, where the interaction has none yet (an
    email's Message-ID, so a customer's reply to it finds its conversation)."""
    session.execute(
        update(Interaction).where(Interaction.id == interaction_id).values(delivery_status=status)
    )
    if provider_message_id is not None:
        session.execute(
            update(Interaction)
            .where(Interaction.id == interaction_id, Interaction.provider_message_id.is_(None))
            .values(provider_message_id=provider_message_id)
        )


def first_from_customer(session: Session, conversation_id: int) -> InteractionRecord | None:
    """How the customer opened the conversation."""
    row = session.scalars(
        select(Interaction)
        .where(Interaction.conversation_id == conversation_id, Interaction.author == "customer")
        .order_by(Interaction.seq)
        .limit(1)
    ).first()
    return interaction_record(row) if row is not None else None


def get_interaction(session: Session, interaction_id: int) -> InteractionRecord:
    return interaction_record(session.get_one(Interaction, interaction_id))


def record_understanding(
    session: Session,
    interaction_id: int,
    *,
    intent: str,
    confidence: float,
    entities: list[dict[str, Any]],
) -> None:
    """Store what NLU made of an inbound message: intent, confidence, entities.

    One UPDATE that sets `entities` inside the stored attributes on the server (it was
    a read and a write, two of a turn's round trips): nothing read earlier is written
    back, so a change made meanwhile is kept."""
    dialect = session.get_bind().dialect.name
    found = session.execute(
        _understanding_update(dialect),
        {
            "interaction_id": interaction_id,
            "intent": intent,
            "confidence": confidence,
            "entities": entities if dialect == "postgresql" else json.dumps(entities),
        },
    )
    if found.rowcount != 1:
        raise LookupError(f"no interaction {interaction_id}")


@functools.cache
def _understanding_update(dialect: str) -> Any:
    """`record_understanding`'s UPDATE, built once with bound parameters (building the
    JSON merge per turn cost more CPU than running it; bench/turn_cost.py)."""
    table = Interaction.__table__
    return (
        update(table)
        .where(table.c.id == bindparam("interaction_id"))
        .values(
            intent=bindparam("intent", type_=table.c.intent.type),
            confidence=bindparam("confidence", type_=table.c.confidence.type),
            attributes=_with_entities(dialect, table.c.attributes),
        )
    )


def _with_entities(dialect: str, column: ColumnElement[Any]) -> ColumnElement[Any]:
    """`column` (a JSON object; anything else, SQL or JSON null, counts as an empty one)
    with its "entities" set to the bound parameter `entities` (JSON text on SQLite)."""
    if dialect == "postgresql":
        stored = cast(column, JSONB)
        an_object = case((func.jsonb_typeof(stored) == "object", stored), else_=literal({}, JSONB))
        entities = bindparam("entities", type_=JSONB)
        merged = an_object.op("||")(func.jsonb_build_object("entities", entities))
        return cast(merged, JSON)
    an_object = case((func.json_type(column) == "object", column), else_="{}")
    return func.json_set(an_object, "$.entities", func.json(bindparam("entities")))
