"""reply keys: the Idempotency-Key of each agent reply sent through the staff API, kept
a day, so a client's retry of a reply is not sent twice (crm_store/reply_keys.py)

Revision ID: 0028
Revises: 0027
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0028"
down_revision: str | None = "0027"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "reply_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("handoff_id", sa.Integer(), nullable=False),
        sa.Column("request", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["staff_users.id"], name=op.f("fk_reply_keys_staff_id_staff_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reply_keys")),
    )
    op.create_index("uq_reply_keys_staff_key", "reply_keys", ["staff_id", "key"], unique=True)
    op.create_index(op.f("ix_reply_keys_created_at"), "reply_keys", ["created_at"])


def downgrade() -> None:
    op.drop_table("reply_keys")
