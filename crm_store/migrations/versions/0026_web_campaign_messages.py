"""web campaign messages: which widget session showed each web chat campaign message

A web chat campaign message is for the customer, not for one browser: a new widget
session the host page signed in carries over, once, the recent ones no widget has
shown yet (crm_store/web_campaign_messages.py). Messages sent before this revision
have no row: whether a widget showed them is not known, so they are not carried.

Revision ID: 0026
Revises: 0025
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0026"
down_revision: str | None = "0025"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UNSHOWN = sa.text("shown_at IS NULL")


def upgrade() -> None:
    op.create_table(
        "web_campaign_messages",
        sa.Column("interaction_id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("written_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("shown_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("shown_session", sa.String(length=320), nullable=True),
        sa.Column("carried_interaction_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["carried_interaction_id"],
            ["interactions.id"],
            name=op.f("fk_web_campaign_messages_carried_interaction_id_interactions"),
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_web_campaign_messages_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["interaction_id"],
            ["interactions.id"],
            name=op.f("fk_web_campaign_messages_interaction_id_interactions"),
        ),
        sa.PrimaryKeyConstraint("interaction_id", name=op.f("pk_web_campaign_messages")),
    )
    op.create_index(
        "ix_web_campaign_messages_unshown",
        "web_campaign_messages",
        ["customer_id", "written_at"],
        postgresql_where=UNSHOWN,
        sqlite_where=UNSHOWN,
    )


def downgrade() -> None:
    op.drop_index("ix_web_campaign_messages_unshown", table_name="web_campaign_messages")
    op.drop_table("web_campaign_messages")
