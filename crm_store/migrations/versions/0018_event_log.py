"""support reports: the append-only event log (event_log), satisfaction surveys (one per
conversation and care cycle), conversations.cycle; existing history backfilled as events

Revision ID: 0018
Revises: 0017

The backfill is here, not a command to remember: an upgraded store has its reports at
once. It rebuilds care cycles from what the store kept: a resolved handoff ends a
cycle, and the customer's first message after it starts the next (a reopening). Bot
replies' decisions come from `attributes.route`. Nothing older records a reopening
without a handoff, since only handoffs resolved conversations before this revision.
Keys are the ones the live code writes, so running it twice adds nothing.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 500


def upgrade() -> None:
    op.add_column(
        "conversations",
        sa.Column("cycle", sa.Integer(), server_default=sa.text("1"), nullable=False),
    )
    op.create_table(
        "event_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("type", sa.String(length=40), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=True),
        sa.Column("conversation_id", sa.Integer(), nullable=True),
        sa.Column("cycle", sa.Integer(), nullable=True),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column("actor", sa.String(length=10), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=True),
        sa.Column("detail", sa.String(length=60), nullable=True),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_event_log_conversation_id_conversations"),
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_event_log_customer_id_customers")
        ),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["staff_users.id"], name=op.f("fk_event_log_staff_id_staff_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event_log")),
        sa.UniqueConstraint("key", name=op.f("uq_event_log_key")),
    )
    op.create_index("ix_event_log_occurred", "event_log", ["occurred_at"])
    op.create_index("ix_event_log_type_occurred", "event_log", ["type", "occurred_at"])
    op.create_index("ix_event_log_conversation_cycle", "event_log", ["conversation_id", "cycle"])
    op.create_index(op.f("ix_event_log_customer_id"), "event_log", ["customer_id"])
    op.create_table(
        "satisfaction_surveys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.Integer(), nullable=False),
        sa.Column("cycle", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("resolved_by", sa.String(length=10), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=True),
        sa.Column("asked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("score", sa.Integer(), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_satisfaction_surveys_conversation_id_conversations"),
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_satisfaction_surveys_customer_id_customers"),
        ),
        sa.ForeignKeyConstraint(
            ["staff_id"],
            ["staff_users.id"],
            name=op.f("fk_satisfaction_surveys_staff_id_staff_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_satisfaction_surveys")),
        sa.UniqueConstraint(
            "conversation_id", "cycle", name=op.f("uq_satisfaction_surveys_conversation_id_cycle")
        ),
    )
    op.create_index(
        op.f("ix_satisfaction_surveys_customer_id"), "satisfaction_surveys", ["customer_id"]
    )
    op.create_index(op.f("ix_satisfaction_surveys_asked_at"), "satisfaction_surveys", ["asked_at"])
    _backfill(op.get_bind())


def downgrade() -> None:
    op.drop_table("satisfaction_surveys")
    op.drop_table("event_log")
    with op.batch_alter_table("conversations") as batch_op:
        batch_op.drop_column("cycle")


_when = sa.DateTime(timezone=True)
_conversations = sa.table(
    "conversations",
    sa.column("id"),
    sa.column("customer_id"),
    sa.column("channel"),
    sa.column("created_at", _when),
    sa.column("cycle"),
)
_interactions = sa.table(
    "interactions",
    sa.column("id"),
    sa.column("conversation_id"),
    sa.column("customer_id"),
    sa.column("direction"),
    sa.column("author"),
    sa.column("staff_id"),
    sa.column("in_reply_to_id"),
    sa.column("attributes", sa.JSON()),
    sa.column("created_at", _when),
)
_handoffs = sa.table(
    "handoffs",
    sa.column("id"),
    sa.column("conversation_id"),
    sa.column("reason"),
    sa.column("intent"),
    sa.column("status"),
    sa.column("claimed_by_staff_id"),
    sa.column("created_at", _when),
    sa.column("claimed_at", _when),
    sa.column("closed_at", _when),
)
_events = sa.table(
    "event_log",
    sa.column("key"),
    sa.column("type"),
    sa.column("occurred_at", _when),
    sa.column("channel"),
    sa.column("conversation_id"),
    sa.column("cycle"),
    sa.column("customer_id"),
    sa.column("actor"),
    sa.column("staff_id"),
    sa.column("detail"),
    sa.column("data", sa.JSON()),
)


def _utc(value: datetime | None) -> datetime | None:
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


def _backfill(bind: sa.Connection) -> None:
    after = 0
    while True:
        batch = bind.execute(
            sa.select(_conversations)
            .where(_conversations.c.id > after)
            .order_by(_conversations.c.id)
            .limit(BATCH)
        ).all()
        if not batch:
            return
        after = batch[-1].id
        ids = [row.id for row in batch]
        messages = defaultdict(list)
        for row in bind.execute(
            sa.select(_interactions)
            .where(_interactions.c.conversation_id.in_(ids))
            .order_by(_interactions.c.conversation_id, _interactions.c.id)
        ):
            messages[row.conversation_id].append(row)
        handed = defaultdict(list)
        for row in bind.execute(
            sa.select(_handoffs)
            .where(_handoffs.c.conversation_id.in_(ids), _handoffs.c.status != "superseded")
            .order_by(_handoffs.c.id)
        ):
            handed[row.conversation_id].append(row)
        events: list[dict[str, Any]] = []
        for conversation in batch:
            cycles = _conversation_events(
                conversation, messages[conversation.id], handed[conversation.id], events
            )
            if cycles != 1:
                bind.execute(
                    sa.update(_conversations)
                    .where(_conversations.c.id == conversation.id)
                    .values(cycle=cycles)
                )
        if events:
            bind.execute(sa.insert(_events), events)


def _conversation_events(
    conversation: Any, messages: list[Any], handoffs: list[Any], out: list[dict[str, Any]]
) -> int:
    """Append the conversation's events to `out`; returns its number of care cycles."""
    base = {
        "conversation_id": conversation.id,
        "customer_id": conversation.customer_id,
        "channel": conversation.channel,
    }

    def add(
        kind: str, key: str, when: datetime | None, cycle: int, actor: str, **extra: Any
    ) -> None:
        staff_id = extra.pop("staff_id", None)
        if kind == "handoff.opened":
            detail = extra.get("reason")
        else:
            detail = ",".join(str(d) for d in extra.get("decisions", ())) or None
        out.append(
            {
                **base,
                "key": f"{kind}:{key}",
                "type": kind,
                "occurred_at": _utc(when) or _utc(conversation.created_at),
                "cycle": cycle,
                "actor": actor,
                "staff_id": staff_id,
                "detail": detail[:60] if detail else None,
                "data": extra,
            }
        )

    resolutions = sorted(
        (_utc(h.closed_at), h) for h in handoffs if h.status == "resolved" and h.closed_at
    )
    cycle, waiting_reopen, next_resolution = 1, False, 0
    add("conversation.opened", str(conversation.id), conversation.created_at, 1, "customer")

    def cycle_at(when: datetime) -> int:
        nonlocal cycle, waiting_reopen, next_resolution
        while next_resolution < len(resolutions) and resolutions[next_resolution][0] <= when:
            closed_at, handoff = resolutions[next_resolution]
            add(
                "conversation.resolved",
                f"{conversation.id}:{cycle}",
                closed_at,
                cycle,
                "agent",
                staff_id=handoff.claimed_by_staff_id,
                handoff_id=handoff.id,
            )
            next_resolution += 1
            waiting_reopen = True
        return cycle

    for message in messages:
        when = _utc(message.created_at)
        cycle_at(when)
        if waiting_reopen and message.direction == "in":
            cycle += 1
            waiting_reopen = False
            add("conversation.reopened", f"{conversation.id}:{cycle}", when, cycle, "customer")
        attributes = message.attributes
        if isinstance(attributes, str):
            attributes = json.loads(attributes)
        data: dict[str, Any] = {"interaction_id": message.id}
        route = (attributes or {}).get("route")
        if isinstance(route, dict):
            parts = route.get("parts") if isinstance(route.get("parts"), list) else [route]
            data["decisions"] = [p.get("decision") for p in parts if isinstance(p, dict)]
        if message.in_reply_to_id is not None:
            data["in_reply_to_id"] = message.in_reply_to_id
        add(
            f"message.{message.direction}",
            str(message.id),
            when,
            cycle,
            message.author,
            staff_id=message.staff_id,
            **data,
        )
    for handoff in handoffs:
        opened_cycle = 1 + sum(
            1 for closed_at, _ in resolutions if closed_at < _utc(handoff.created_at)
        )
        add(
            "handoff.opened",
            str(handoff.id),
            handoff.created_at,
            opened_cycle,
            "bot",
            handoff_id=handoff.id,
            reason=handoff.reason,
            intent=handoff.intent,
        )
        if handoff.claimed_at is not None:
            add(
                "handoff.claimed",
                str(handoff.id),
                handoff.claimed_at,
                opened_cycle,
                "agent",
                staff_id=handoff.claimed_by_staff_id,
                handoff_id=handoff.id,
            )
        if handoff.status == "returned_to_bot" and handoff.closed_at is not None:
            add(
                "handoff.returned",
                str(handoff.id),
                handoff.closed_at,
                opened_cycle,
                "agent",
                staff_id=handoff.claimed_by_staff_id,
                handoff_id=handoff.id,
            )
    cycle_at(datetime.max.replace(tzinfo=UTC))
    return cycle
