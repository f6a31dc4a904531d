"""Erasing a customer's rows from the store: deleted, or pseudonymised where reports must
keep counting them.

Which rows are the customer's is found by the export's walk (every foreign key to
`customers.id`, then every foreign key to those rows, ...), so a table added later is
erased without an edit here. What happens to a table's rows is its rule in `RULES`;
`tests/crm_store/test_erasure.py` fails for a walked table without one, so whoever adds
a table decides. A table missing from `RULES` at run time is deleted (the safe side).

Pseudonymised rows keep their keys, numbers, times, flags and the columns the rule
names (a channel, a status, an intent: what reports count by); every other text and
JSON column is emptied, so a column added later is emptied too unless someone decides
it may stay. What is kept and why:

- customers: the row stays as "erased customer N" (no name, email, phone, claims), so
  the conversations, tickets and orders that reports count still have their customer;
  its account link stays (a company, not a person).
- identities: the channel stays, the address becomes `erased:<id>`: nothing finds the
  person by it again, and their next message makes a new customer (see tombstones.py).
- conversations, interactions, handoffs, tickets, ticket events, orders, leads, care
  cycles (derived from the event log, which stays too): counts,
  channels, statuses, intents, amounts and times stay; texts, subjects, summaries,
  provider ids and attributes go. Live conversations and handoffs are closed.
- inbound_receipts: a hash of the provider's message id stays, and is all that stays
  (`receipts.erased_message_id`; a Message-ID can hold words): the dedupe lookup still
  finds it, so a replayed provider webhook is a no-op (the engine finds the receipt,
  answered, and does nothing) and cannot re-create the person.

Everything else the walk finds is deleted: the consent ledger, the outbox (pending rows
are cancelled: they will not be sent), Slack calls, webhook deliveries, derived
analytics rows, the record of which widget session showed a web campaign message.
Slack's event receipts of the customer's handoff threads (which carry
agents' thread messages) are deleted too; they are no foreign key's, so they are found
by the threads' timestamps.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    String,
    Table,
    Text,
    case,
    cast,
    delete,
    func,
    literal,
    select,
    update,
)
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement, Select
from sqlalchemy.types import TypeDecorator

from crm_store.base import Base, utcnow
from crm_store.errors import NotFound
from crm_store.export import belongs, customer_tables, tables_under
from crm_store.models import Conversation, Customer, Handoff, InboundReceipt, SlackEvent
from crm_store.receipts import erased_message_id

__all__ = [
    "RULES",
    "Delete",
    "Pseudonymise",
    "erase_customer_rows",
    "erase_under",
    "handoff_threads",
]

Values = Callable[[Table], Mapping[str, Any]]


@dataclass(frozen=True, slots=True)
class Delete:
    """The rows go."""

    why: str


@dataclass(frozen=True, slots=True)
class Pseudonymise:
    """The rows stay for counting; text and JSON columns not in `keep` are emptied, and
    `values` (column -> SQL value, made from the table) are set."""

    why: str
    keep: frozenset[str] = frozenset()
    values: Values = field(default=lambda table: {})


def _closed_conversation(table: Table) -> Mapping[str, Any]:
    return {
        "status": literal("resolved"),
        "owner": literal("bot"),
        "resolved_at": func.coalesce(table.c.resolved_at, literal(utcnow())),
    }


def _closed_handoff(table: Table) -> Mapping[str, Any]:
    live = table.c.status.in_(("queued", "claimed"))
    return {
        "status": case((live, literal("resolved")), else_=table.c.status),
        "closed_at": case((live, literal(utcnow())), else_=table.c.closed_at),
    }


def _ended_enrolment(table: Table) -> Mapping[str, Any]:
    """The occurrence may hold a date of the customer's (a renewal): it becomes the
    row's id, which keeps the unique key."""
    active = table.c.state == "active"
    return {
        "occurrence": literal("erased:") + cast(table.c.id, String),
        "state": literal("ended"),
        "reason": case((active, literal("erased")), else_=table.c.reason),
        "ended_at": case((active, literal(utcnow())), else_=table.c.ended_at),
    }


def _answered_receipt(table: Table) -> Mapping[str, Any]:
    return {"status": literal("answered"), "claimed_until": None}


def _cancelled_send(table: Table) -> Mapping[str, Any]:
    waiting = table.c.state.in_(("queued", "claimed"))
    return {
        "state": case((waiting, literal("suppressed")), else_=table.c.state),
        "reason": case((waiting, literal("erased")), else_=table.c.reason),
        "claimed_until": None,
    }


def _erased_address(table: Table) -> Mapping[str, Any]:
    return {"address": literal("erased:").concat(cast(table.c.id, String)), "verified": False}


RULES: dict[str, Delete | Pseudonymise] = {
    "identities": Pseudonymise(
        "conversations point at it", frozenset({"channel"}), _erased_address
    ),
    "conversations": Pseudonymise(
        "reports count conversations", frozenset({"channel"}), _closed_conversation
    ),
    "interactions": Pseudonymise(
        "reports count messages, intents and response times",
        frozenset({"direction", "author", "channel", "intent", "delivery_status"}),
    ),
    "inbound_receipts": Pseudonymise(
        "a replayed provider webhook must find its receipt and do nothing",
        frozenset({"channel", "provider_message_id"}),
        _answered_receipt,
    ),
    "handoffs": Pseudonymise(
        "reports count handoffs and their claim times",
        frozenset({"reason", "intent", "slack_channel"}),
        _closed_handoff,
    ),
    "tickets": Pseudonymise(
        "reports count tickets; the number is the company's",
        frozenset({"number", "status", "priority"}),
    ),
    "ticket_events": Pseudonymise(
        "reports time tickets by their events", frozenset({"kind", "author"})
    ),
    "orders": Pseudonymise(
        "revenue figures and bookkeeping keep the order",
        frozenset({"number", "status", "currency"}),
    ),
    "leads": Pseudonymise("win rates count leads", frozenset({"status", "source_channel"})),
    "consent_ledger": Delete("holds the address; the tombstone remembers it was erased"),
    "outbox": Delete("holds the address and the text; pending rows are cancelled"),
    "slack_calls": Delete("hold the texts posted to Slack"),
    "webhook_deliveries": Delete("hold the events' bodies; pending ones are not sent"),
    "webhook_attempts": Delete("the deliveries' tries"),
    "customer_metrics": Delete("derived from the customer's orders"),
    "lead_scores": Delete("derived from the customer's leads"),
    "widget_session_revocations": Delete("the identities they revoke are gone"),
    "web_campaign_messages": Delete(
        "which widget session showed a web campaign message (a session id); the message "
        "is the interaction's, and the send the ledger's"
    ),
    "event_log": Pseudonymise(
        "support reports are computed from the log, which holds ids and counted values",
        frozenset({"key", "type", "channel", "actor", "detail"}),
    ),
    "care_cycles": Pseudonymise(
        "the support report counts cycles; the rows hold only ids, times and counts",
        frozenset({"channel"}),
    ),
    "agent_replies": Pseudonymise(
        "the agents' figures count replies and their waits; the rows hold only ids and times",
        frozenset({"channel"}),
    ),
    "satisfaction_surveys": Pseudonymise(
        "the satisfaction score counts answers; the comment goes",
        frozenset({"channel", "resolved_by"}),
    ),
    "campaign_recipients": Pseudonymise("campaign reports count recipients and the holdout"),
    "journey_enrolments": Pseudonymise(
        "journey reports count who entered and why they left; active ones end",
        frozenset({"state", "reason"}),
        _ended_enrolment,
    ),
    "campaign_sends": Pseudonymise(
        "campaign reports count sends by state and reason; waiting sends are cancelled",
        frozenset({"step", "channel", "purpose", "state", "reason"}),
        _cancelled_send,
    ),
}

CUSTOMER = Pseudonymise(
    "the rows reports count keep their customer",
    frozenset({"lifecycle_stage"}),
)


def _emptied(column: Column[Any]) -> Any:
    """The empty value of a text or JSON column, or `...` when it is neither."""
    kind = column.type
    if isinstance(kind, TypeDecorator):
        kind = kind.impl_instance
    if isinstance(kind, JSON):
        if column.nullable:
            return None
        default = getattr(column.default, "arg", None)
        wrapped = getattr(default, "__wrapped__", default)
        return [] if wrapped is list else {}
    if isinstance(kind, (String, Text)):
        return None if column.nullable else ""
    return ...


def pseudonymised_values(table: Table, rule: Pseudonymise) -> dict[str, Any]:
    """Column -> new value for `rule` on `table` (keys and foreign keys never change)."""
    values: dict[str, Any] = {}
    for column in table.columns:
        if column.primary_key or column.foreign_keys or column.name in rule.keep:
            continue
        empty = _emptied(column)
        if empty is not ...:
            values[column.name] = empty
    values.update(rule.values(table))
    if "updated_at" in table.c:
        values["updated_at"] = utcnow()
    return values


def _apply(
    session: Session,
    tables: list[tuple[Table, list[Column[Any]]]],
    root: Table,
    ids: int | Select[Any],
) -> tuple[dict[str, int], dict[str, int]]:
    """Deletes first, children before parents (the conditions read through parents, and
    the consent ledger through the identities' addresses), then pseudonymisation."""
    links = {table.name: columns for table, columns in tables}
    order = {table.name: index for index, table in enumerate(Base.metadata.sorted_tables)}
    erased: dict[str, int] = {}
    kept: dict[str, int] = {}
    for table, _ in sorted(tables, key=lambda item: -order[item[0].name]):
        rule = RULES.get(table.name, Delete("no rule: deleted"))
        if isinstance(rule, Delete):
            count = session.execute(delete(table).where(belongs(table, root, ids, links))).rowcount
            if count:
                erased[table.name] = count
    for table, _ in tables:
        rule = RULES.get(table.name)
        if isinstance(rule, Pseudonymise):
            values = pseudonymised_values(table, rule)
            condition = belongs(table, root, ids, links)
            if values:
                count = session.execute(update(table).where(condition).values(values)).rowcount
            else:  # ids, flags and times only: kept as they are, counted as kept
                count = session.scalar(select(func.count()).select_from(table).where(condition))
            if count:
                kept[table.name] = count
            if table.name == InboundReceipt.__tablename__:
                _hash_message_ids(session, table, belongs(table, root, ids, links))
    return erased, kept


def _hash_message_ids(session: Session, table: Table, condition: ColumnElement[bool]) -> None:
    rows = session.execute(
        select(table.c.id, table.c.channel, table.c.provider_message_id).where(
            condition, ~table.c.provider_message_id.startswith("erased:")
        )
    ).all()
    for row_id, channel, message_id in rows:
        session.execute(
            update(table)
            .where(table.c.id == row_id)
            .values(provider_message_id=erased_message_id(channel, message_id))
        )


def handoff_threads(session: Session, condition: ColumnElement[bool]) -> list[tuple[str, str]]:
    """(channel, thread ts) of the handoff cards posted for the handoffs matching."""
    rows = session.execute(
        select(Handoff.slack_channel, Handoff.slack_thread_ts).where(
            condition, Handoff.slack_thread_ts.is_not(None)
        )
    ).all()
    return [(str(channel), str(ts)) for channel, ts in rows if channel]


def _forget_thread_events(
    session: Session, threads: list[tuple[str, str]], since: datetime | None
) -> int:
    """Delete Slack event receipts of messages in these threads (agents' replies and
    the customer's relayed words travel in them). Read in Python: the payload is JSON."""
    if not threads or since is None:
        return 0
    wanted = set(threads)
    found = [
        event_id
        for event_id, payload in session.execute(
            select(SlackEvent.event_id, SlackEvent.payload).where(SlackEvent.received_at >= since)
        )
        if _thread_of(payload) in wanted
    ]
    for start in range(0, len(found), 500):
        session.execute(
            delete(SlackEvent).where(SlackEvent.event_id.in_(found[start : start + 500]))
        )
    return len(found)


def _thread_of(payload: Any) -> tuple[str, str] | None:
    event = payload.get("event") if isinstance(payload, dict) else None
    if not isinstance(event, dict):
        return None
    message = event.get("message") if isinstance(event.get("message"), dict) else event
    thread = message.get("thread_ts") or event.get("thread_ts")
    channel = event.get("channel")
    return (str(channel), str(thread)) if thread and channel else None


def erase_customer_rows(session: Session, customer_id: int) -> dict[str, dict[str, int]]:
    """Erase the customer from the store, in the caller's transaction. Returns counts
    per table, `erased` (deleted) and `pseudonymised`; no personal data. Raises NotFound."""
    customers = Customer.__table__
    if session.get(Customer, customer_id) is None:
        raise NotFound(f"customer {customer_id}")
    first_handoff = session.scalar(
        select(func.min(Handoff.created_at)).where(Handoff.customer_id == customer_id)
    )
    threads = handoff_threads(session, Handoff.customer_id == customer_id)
    erased, kept = _apply(session, customer_tables(), customers, customer_id)
    events = _forget_thread_events(session, threads, first_handoff)
    if events:
        erased["slack_events"] = events
    session.execute(
        update(customers)
        .where(customers.c.id == customer_id)
        .values(pseudonymised_values(customers, CUSTOMER))
    )
    kept["customers"] = 1
    session.expire_all()
    return {"erased": erased, "pseudonymised": kept}


def erase_under(
    session: Session, root: Table, ids: Select[Any], *, skip: frozenset[str] = frozenset()
) -> dict[str, dict[str, int]]:
    """The same rules for every row hanging off the `root` rows `ids` (and those rows
    themselves): the retention job's erasure of old conversations or closed tickets."""
    references = [
        fk.parent
        for table in Base.metadata.sorted_tables
        for fk in sorted(table.foreign_keys, key=lambda fk: fk.parent.name)
        if fk.references(root) and fk.parent.table is not root
    ]
    tables = tables_under(root, references, skip)
    if root is Conversation.__table__:
        first = session.scalar(
            select(func.min(Handoff.created_at)).where(Handoff.conversation_id.in_(ids))
        )
        threads = handoff_threads(session, Handoff.conversation_id.in_(ids))
    else:
        first, threads = None, []
    erased, kept = _apply(session, tables, root, ids)
    events = _forget_thread_events(session, threads, first)
    if events:
        erased["slack_events"] = events
    rule = RULES.get(root.name)
    if isinstance(rule, Pseudonymise):
        (key,) = root.primary_key.columns
        count = session.execute(
            update(root).where(key.in_(ids)).values(pseudonymised_values(root, rule))
        ).rowcount
        if count:
            kept[root.name] = count
    session.expire_all()
    return {"erased": erased, "pseudonymised": kept}
