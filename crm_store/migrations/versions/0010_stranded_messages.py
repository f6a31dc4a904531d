"""stranded messages: inbound receipts carry a claim, sweep tries and what a re-answer needs

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("inbound_receipts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("address", sa.String(length=320), nullable=True))
        batch_op.add_column(sa.Column("reply_hints", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(
            sa.Column("sweep_attempts", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.add_column(sa.Column("last_error", sa.Text(), nullable=True))
        batch_op.create_index(
            "ix_inbound_receipts_sweep", ["status", "claimed_until"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("inbound_receipts", schema=None) as batch_op:
        batch_op.drop_index("ix_inbound_receipts_sweep")
        batch_op.drop_column("last_error")
        batch_op.drop_column("sweep_attempts")
        batch_op.drop_column("claimed_until")
        batch_op.drop_column("reply_hints")
        batch_op.drop_column("address")
