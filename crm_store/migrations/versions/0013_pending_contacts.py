"""pending contacts: customers.pending marks a sender nobody vouched for, not on file;
outbox rows by time, for the cap on replies to such senders

Revision ID: 0013
Revises: 0012
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A plain ADD COLUMN (SQLite can add one with a constant default): a batch copy of
    # the table would lose its expression index on lower(name) on SQLite.
    op.add_column(
        "customers",
        sa.Column("pending", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.create_index("ix_outbox_created", "outbox", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_outbox_created", table_name="outbox")
    op.drop_column("customers", "pending")
