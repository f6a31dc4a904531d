"""analytics: derived tables. customer_metrics (RFM, lifecycle suggestion, segment,
lifetime value per customer), model_fits (each fit's report as JSON) and lead_scores
(an open lead's probability of being won and its top factors)

Revision ID: 0015
Revises: 0013
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "model_fits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("fitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("report", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_model_fits")),
    )
    op.create_index("ix_model_fits_kind_fitted", "model_fits", ["kind", "fitted_at"])
    op.create_table(
        "customer_metrics",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("first_purchase_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_purchase_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("order_count", sa.Integer(), nullable=False),
        sa.Column("lifetime_spend_cents", sa.BigInteger(), nullable=False),
        sa.Column("recency_days", sa.Float(), nullable=True),
        sa.Column("recency_score", sa.SmallInteger(), nullable=True),
        sa.Column("frequency_score", sa.SmallInteger(), nullable=True),
        sa.Column("monetary_score", sa.SmallInteger(), nullable=True),
        sa.Column("suggested_stage", sa.String(length=20), nullable=True),
        sa.Column("segment", sa.String(length=20), nullable=True),
        sa.Column("probability_alive", sa.Float(), nullable=True),
        sa.Column("expected_purchases", sa.Float(), nullable=True),
        sa.Column("expected_spend_cents", sa.Float(), nullable=True),
        sa.Column("lifetime_value_cents", sa.Float(), nullable=True),
        sa.Column("model_fit_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_customer_metrics_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["model_fit_id"],
            ["model_fits.id"],
            name=op.f("fk_customer_metrics_model_fit_id_model_fits"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer_metrics")),
        sa.UniqueConstraint("customer_id", name=op.f("uq_customer_metrics_customer_id")),
    )
    op.create_index(op.f("ix_customer_metrics_segment"), "customer_metrics", ["segment"])
    op.create_table(
        "lead_scores",
        sa.Column("lead_id", sa.Integer(), nullable=False),
        sa.Column("probability", sa.Float(), nullable=False),
        sa.Column("factors", sa.JSON(), nullable=False),
        sa.Column("scored_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("model_fit_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["lead_id"], ["leads.id"], name=op.f("fk_lead_scores_lead_id_leads"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["model_fit_id"],
            ["model_fits.id"],
            name=op.f("fk_lead_scores_model_fit_id_model_fits"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("lead_id", name=op.f("pk_lead_scores")),
    )


def downgrade() -> None:
    op.drop_table("lead_scores")
    op.drop_index(op.f("ix_customer_metrics_segment"), table_name="customer_metrics")
    op.drop_table("customer_metrics")
    op.drop_index("ix_model_fits_kind_fitted", table_name="model_fits")
    op.drop_table("model_fits")
