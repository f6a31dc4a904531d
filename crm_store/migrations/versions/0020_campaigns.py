"""campaigns: saved segments, campaigns, the frozen recipients of a send and the send
ledger (one row per campaign, step and customer)

Revision ID: 0020
Revises: 0018
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "segments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("filter", sa.JSON(), nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("updated_at", WHEN, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_segments")),
        sa.UniqueConstraint("name", name=op.f("uq_segments_name")),
    )
    op.create_table(
        "campaigns",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("segment_id", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.String(length=30), nullable=False),
        sa.Column("content", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("scheduled_at", WHEN, nullable=True),
        sa.Column("send_deadline", WHEN, nullable=True),
        sa.Column("holdout_share", sa.Float(), nullable=False),
        sa.Column("conversion_days", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=500), nullable=True),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("updated_at", WHEN, nullable=False),
        sa.Column("started_at", WHEN, nullable=True),
        sa.Column("finished_at", WHEN, nullable=True),
        sa.ForeignKeyConstraint(
            ["segment_id"], ["segments.id"], name=op.f("fk_campaigns_segment_id_segments")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaigns")),
        sa.UniqueConstraint("name", name=op.f("uq_campaigns_name")),
    )
    op.create_index(op.f("ix_campaigns_segment_id"), "campaigns", ["segment_id"])
    op.create_table(
        "campaign_recipients",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("holdout", sa.Boolean(), nullable=False),
        sa.Column("frozen_at", WHEN, nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_campaign_recipients_campaign_id_campaigns"),
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_campaign_recipients_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaign_recipients")),
        sa.UniqueConstraint(
            "campaign_id",
            "customer_id",
            name=op.f("uq_campaign_recipients_campaign_id_customer_id"),
        ),
    )
    op.create_index(
        op.f("ix_campaign_recipients_customer_id"), "campaign_recipients", ["customer_id"]
    )
    op.create_table(
        "campaign_sends",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("step", sa.String(length=40), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("purpose", sa.String(length=30), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.String(length=40), nullable=True),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("address", sa.String(length=320), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", WHEN, nullable=False),
        sa.Column("claimed_until", WHEN, nullable=True),
        sa.Column("uncertain", sa.Boolean(), nullable=False),
        sa.Column("interaction_id", sa.Integer(), nullable=True),
        sa.Column("provider_message_id", sa.String(length=200), nullable=True),
        sa.Column("sms_segments", sa.Integer(), nullable=True),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("sent_at", WHEN, nullable=True),
        sa.Column("unsubscribed_at", WHEN, nullable=True),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["campaigns.id"], name=op.f("fk_campaign_sends_campaign_id_campaigns")
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_campaign_sends_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["interaction_id"],
            ["interactions.id"],
            name=op.f("fk_campaign_sends_interaction_id_interactions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaign_sends")),
        sa.UniqueConstraint(
            "campaign_id",
            "step",
            "customer_id",
            name=op.f("uq_campaign_sends_campaign_id_step_customer_id"),
        ),
    )
    op.create_index("ix_campaign_sends_customer_sent", "campaign_sends", ["customer_id", "sent_at"])
    op.create_index("ix_campaign_sends_due", "campaign_sends", ["state", "next_attempt_at"])
    op.create_index(
        "ix_campaign_sends_provider_message_id", "campaign_sends", ["provider_message_id"]
    )


def downgrade() -> None:
    op.drop_index("ix_campaign_sends_provider_message_id", table_name="campaign_sends")
    op.drop_index("ix_campaign_sends_due", table_name="campaign_sends")
    op.drop_index("ix_campaign_sends_customer_sent", table_name="campaign_sends")
    op.drop_table("campaign_sends")
    op.drop_index(op.f("ix_campaign_recipients_customer_id"), table_name="campaign_recipients")
    op.drop_table("campaign_recipients")
    op.drop_index(op.f("ix_campaigns_segment_id"), table_name="campaigns")
    op.drop_table("campaigns")
    op.drop_table("segments")
