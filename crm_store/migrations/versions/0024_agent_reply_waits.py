"""agent reply waits and report indexes: each agent reply with the wait it ended
(`agent_replies`), kept by crm_store/reply_waits.py as events are logged, older events
replayed here; a partial index of the bot's fallbacks by time for the knowledge report

Revision ID: 0024
Revises: 0023

The backfill reads the events the waits are made from, ordered per care cycle, and
replays them with `crm_store.reply_waits.replay_waits`, the function the live path
works each cycle's replies out with (a sequence per cycle has no tidy GROUP BY, unlike
0021's figures). Rows are written in batches; on a store of a year's 100,000 conversations
bench/support_reports.py prints how long the upgrade took. Like `care_cycles`, the
rows are derived from the event log and can be rebuilt (downgrade and upgrade again).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from crm_store.reply_waits import WAIT_EVENTS, replay_waits, wait_row

revision: str = "0024"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WHEN = sa.DateTime(timezone=True)
FALLBACK = sa.text("type = 'message.out' AND actor = 'bot' AND detail LIKE '%fallback%'")
BATCH = 5000


def upgrade() -> None:
    op.create_table(
        "agent_replies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.Integer(), nullable=False),
        sa.Column("cycle", sa.Integer(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=True),
        sa.Column("replied_at", WHEN, nullable=False),
        sa.Column("waited_since", WHEN, nullable=True),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_agent_replies_conversation_id_conversations"),
        ),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["staff_users.id"], name=op.f("fk_agent_replies_staff_id_staff_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agent_replies")),
    )
    _backfill()
    # After the rows, so the backfill does not update the indexes row by row.
    op.create_index("ix_agent_replies_replied", "agent_replies", ["replied_at"])
    op.create_index("ix_agent_replies_channel_replied", "agent_replies", ["channel", "replied_at"])
    op.create_index(
        "ix_agent_replies_conversation_cycle", "agent_replies", ["conversation_id", "cycle"]
    )
    # The knowledge report's latest fallbacks, read backwards by time.
    op.create_index(
        "ix_event_log_fallbacks",
        "event_log",
        ["occurred_at", "channel"],
        postgresql_where=FALLBACK,
        sqlite_where=FALLBACK,
    )


def downgrade() -> None:
    op.drop_index("ix_event_log_fallbacks", table_name="event_log")
    op.drop_table("agent_replies")


def _backfill() -> None:
    connection = op.get_bind()
    e = sa.table(
        "event_log",
        sa.column("id"),
        sa.column("type"),
        sa.column("occurred_at", WHEN),
        sa.column("channel"),
        sa.column("conversation_id"),
        sa.column("cycle"),
        sa.column("actor"),
        sa.column("staff_id"),
    )
    replies = sa.table(
        "agent_replies",
        *(
            sa.column(name)
            for name in (
                "conversation_id",
                "cycle",
                "staff_id",
                "channel",
                "replied_at",
                "waited_since",
            )
        ),
    )
    # Only cycles a person was in: a handoff or an agent's reply.
    worked = (
        sa.select(e.c.conversation_id)
        .where(
            sa.or_(
                e.c.type == "handoff.opened",
                sa.and_(e.c.type == "message.out", e.c.actor == "agent"),
            )
        )
        .distinct()
    )
    events = connection.execute(
        sa.select(
            e.c.conversation_id,
            e.c.cycle,
            e.c.type,
            e.c.actor,
            e.c.staff_id,
            e.c.channel,
            e.c.occurred_at,
        )
        .where(
            e.c.type.in_(WAIT_EVENTS),
            sa.or_(e.c.type != "message.out", e.c.actor == "agent"),  # not the bot's
            e.c.conversation_id.in_(worked),
            e.c.cycle.is_not(None),
        )
        .order_by(e.c.conversation_id, e.c.cycle, e.c.occurred_at, e.c.id)
        .execution_options(stream_results=True, yield_per=BATCH)
    )
    found = []
    for wait in replay_waits(events):
        found.append(wait_row(wait))
        if len(found) >= BATCH:
            connection.execute(replies.insert(), found)
            found = []
    if found:
        connection.execute(replies.insert(), found)
