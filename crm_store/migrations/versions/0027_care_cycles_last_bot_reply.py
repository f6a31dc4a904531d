"""care cycles' last bot reply: the bot's last reply of each care cycle before its
resolution (the answer the customer had when the bot resolved it, an idle timer
later), which the support report's resolution time ends the bot's cycles at
(analytics/support/cycles.py); kept by crm_store/care_cycles.py, rows of events logged
before it backfilled from the event log by the same rule

Revision ID: 0027
Revises: 0026
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0027"
down_revision: str | None = "0026"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.add_column("care_cycles", sa.Column("last_bot_reply_at", WHEN, nullable=True))
    e = sa.table(
        "event_log",
        sa.column("type"),
        sa.column("occurred_at", WHEN),
        sa.column("conversation_id"),
        sa.column("cycle"),
        sa.column("actor"),
    )
    c = sa.table(
        "care_cycles",
        sa.column("conversation_id"),
        sa.column("cycle"),
        sa.column("resolved_at", WHEN),
        sa.column("last_bot_reply_at", WHEN),
    )
    last = (
        sa.select(sa.func.max(e.c.occurred_at))
        .where(
            e.c.conversation_id == c.c.conversation_id,
            e.c.cycle == c.c.cycle,
            e.c.type == "message.out",
            e.c.actor == "bot",
            sa.or_(c.c.resolved_at.is_(None), e.c.occurred_at < c.c.resolved_at),
        )
        .scalar_subquery()
    )
    op.execute(c.update().values(last_bot_reply_at=last))


def downgrade() -> None:
    with op.batch_alter_table("care_cycles") as batch:
        batch.drop_column("last_bot_reply_at")
