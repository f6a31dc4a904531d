"""widget session revocations: staff revoke a customer's widget sessions

Revision ID: 0009
Revises: 0008
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "widget_session_revocations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("staff_user_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_widget_session_revocations_customer_id_customers"),
        ),
        sa.ForeignKeyConstraint(
            ["staff_user_id"],
            ["staff_users.id"],
            name=op.f("fk_widget_session_revocations_staff_user_id_staff_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_widget_session_revocations")),
    )
    op.create_index(
        "ix_widget_session_revocations_customer",
        "widget_session_revocations",
        ["customer_id", "revoked_at"],
    )


def downgrade() -> None:
    op.drop_index("ix_widget_session_revocations_customer", table_name="widget_session_revocations")
    op.drop_table("widget_session_revocations")
