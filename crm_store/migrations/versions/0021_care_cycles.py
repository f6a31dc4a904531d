"""care cycles: one row per (conversation, care cycle) with the figures the support
report reads (start, first bot and person replies, first handoff, counts, resolution,
reopening, survey asked and its score), kept by crm_store/care_cycles.py; rows of
events logged before it backfilled; the event log's (type, occurred_at) index also
carries actor, channel and detail

Revision ID: 0021
Revises: 0020

The backfill is one INSERT ... SELECT grouping the event log per (conversation, cycle),
by the rules crm_store/care_cycles.py applies event by event (earliest time of each
kind, counts, the resolver of the first resolution, the start event's channel, the
next cycle's reopening), on SQLite and PostgreSQL alike. The event log is the record;
this table is derived from it and can be rebuilt (downgrade and upgrade again).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WHEN = sa.DateTime(timezone=True)
STARTS = ("conversation.opened", "conversation.reopened")


def upgrade() -> None:
    op.create_table(
        "care_cycles",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.Integer(), nullable=False),
        sa.Column("cycle", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=True),
        sa.Column("started_at", WHEN, nullable=True),
        sa.Column("first_bot_reply_at", WHEN, nullable=True),
        sa.Column("first_person_reply_at", WHEN, nullable=True),
        sa.Column("first_handoff_at", WHEN, nullable=True),
        sa.Column("bot_replies", sa.Integer(), nullable=False),
        sa.Column("agent_replies", sa.Integer(), nullable=False),
        sa.Column("handoffs", sa.Integer(), nullable=False),
        sa.Column("resolved_at", WHEN, nullable=True),
        sa.Column("resolved_by_bot", sa.Boolean(), nullable=False),
        sa.Column("reopened_at", WHEN, nullable=True),
        sa.Column("survey_asked_at", WHEN, nullable=True),
        sa.Column("survey_score", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_care_cycles_conversation_id_conversations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_care_cycles")),
        sa.UniqueConstraint(
            "conversation_id", "cycle", name=op.f("uq_care_cycles_conversation_id_cycle")
        ),
    )
    op.create_index("ix_care_cycles_started", "care_cycles", ["started_at"])
    op.create_index("ix_care_cycles_channel_started", "care_cycles", ["channel", "started_at"])
    op.create_index("ix_care_cycles_resolved", "care_cycles", ["resolved_at"])
    op.create_index("ix_care_cycles_survey_asked", "care_cycles", ["survey_asked_at"])
    # The event log's range index carries what the reports count by (see the model).
    op.drop_index("ix_event_log_type_occurred", table_name="event_log")
    op.create_index(
        "ix_event_log_type_occurred",
        "event_log",
        ["type", "occurred_at", "actor", "channel", "detail"],
    )
    _backfill()


def downgrade() -> None:
    op.drop_index("ix_event_log_type_occurred", table_name="event_log")
    op.create_index("ix_event_log_type_occurred", "event_log", ["type", "occurred_at"])
    op.drop_table("care_cycles")


def _backfill() -> None:
    e = sa.table(
        "event_log",
        sa.column("type"),
        sa.column("occurred_at", WHEN),
        sa.column("channel"),
        sa.column("conversation_id"),
        sa.column("cycle"),
        sa.column("actor"),
        sa.column("detail"),
    )
    reopening = e.alias("reopening")
    cycles = sa.table(
        "care_cycles",
        *(
            sa.column(name)
            for name in (
                "conversation_id",
                "cycle",
                "channel",
                "started_at",
                "first_bot_reply_at",
                "first_person_reply_at",
                "first_handoff_at",
                "bot_replies",
                "agent_replies",
                "handoffs",
                "resolved_at",
                "resolved_by_bot",
                "reopened_at",
                "survey_asked_at",
                "survey_score",
            )
        ),
    )
    start = e.c.type.in_(STARTS)
    bot_reply = sa.and_(e.c.type == "message.out", e.c.actor == "bot")
    agent_reply = sa.and_(e.c.type == "message.out", e.c.actor == "agent")
    handoff = e.c.type == "handoff.opened"
    resolved = e.c.type == "conversation.resolved"
    answered = e.c.type == "survey.answered"

    def first(condition: sa.ColumnElement[bool]) -> sa.ColumnElement[object]:
        return sa.func.min(sa.case((condition, e.c.occurred_at)))

    def count(condition: sa.ColumnElement[bool]) -> sa.ColumnElement[object]:
        return sa.func.coalesce(sa.func.sum(sa.case((condition, 1), else_=0)), 0)

    reopened = (
        sa.select(sa.func.min(reopening.c.occurred_at))
        .where(
            reopening.c.type == "conversation.reopened",
            reopening.c.conversation_id == e.c.conversation_id,
            reopening.c.cycle == e.c.cycle + 1,
        )
        .scalar_subquery()
    )
    rows = (
        sa.select(
            e.c.conversation_id,
            e.c.cycle,
            sa.func.coalesce(sa.func.max(sa.case((start, e.c.channel))), sa.func.max(e.c.channel)),
            first(start),
            first(bot_reply),
            first(agent_reply),
            first(handoff),
            count(bot_reply),
            count(agent_reply),
            count(handoff),
            first(resolved),
            # One resolution per cycle (its event key is the cycle's): who made it.
            count(sa.and_(resolved, e.c.actor == "bot")) > 0,
            reopened,
            first(e.c.type == "survey.asked"),
            # One answer per survey, one survey per cycle: its score (the event's detail).
            sa.func.max(sa.case((answered, sa.cast(e.c.detail, sa.Integer)))),
        )
        .where(
            e.c.type.in_(
                (
                    *STARTS,
                    "conversation.resolved",
                    "handoff.opened",
                    "message.out",
                    "survey.asked",
                    "survey.answered",
                )
            ),
            e.c.conversation_id.is_not(None),
            e.c.cycle.is_not(None),
        )
        .group_by(e.c.conversation_id, e.c.cycle)
        # In order of start, as live writes add them: a range of starts is then a run of
        # neighbouring pages, not a page in every few of the table.
        .order_by(first(start))
    )
    op.execute(cycles.insert().from_select(list(cycles.c.keys()), rows))
