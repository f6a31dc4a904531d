"""journeys: campaigns of kind "journey" (trigger and steps), their enrolments, and
send ledger rows per (enrolment, step)

The ledger's unique key (campaign, step, customer) stays for broadcasts (a partial
unique index where `enrolment_id` is null); a journey's rows are unique per
(enrolment, step), so one customer enrolled twice is sent each step once per enrolment.

Revision ID: 0023
Revises: 0020
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WHEN = sa.DateTime(timezone=True)
BROADCAST_ROWS = sa.text("enrolment_id IS NULL")
# SQLite's batch mode copies campaign_sends into a new table, reflecting it first; by
# default that reflects every table its foreign keys reach too (customers, accounts),
# whose expression indexes (lower(name), 0003) SQLAlchemy cannot reflect and warns about
# on every fresh database. The copy needs only campaign_sends' own columns and keys.
OWN_TABLE_ONLY = {"resolve_fks": False}


def upgrade() -> None:
    with op.batch_alter_table("campaigns") as batch:
        batch.add_column(
            sa.Column("kind", sa.String(length=20), server_default="broadcast", nullable=False)
        )
        batch.add_column(sa.Column("journey", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("trigger_cursor", sa.Integer(), nullable=True))
    op.create_table(
        "journey_enrolments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("occurrence", sa.String(length=100), nullable=False),
        sa.Column("holdout", sa.Boolean(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("due_at", WHEN, nullable=False),
        sa.Column("reason", sa.String(length=40), nullable=True),
        sa.Column("entered_at", WHEN, nullable=False),
        sa.Column("ended_at", WHEN, nullable=True),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_journey_enrolments_campaign_id_campaigns"),
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_journey_enrolments_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_journey_enrolments")),
        sa.UniqueConstraint(
            "campaign_id",
            "customer_id",
            "occurrence",
            name=op.f("uq_journey_enrolments_campaign_id_customer_id_occurrence"),
        ),
    )
    op.create_index(
        op.f("ix_journey_enrolments_customer_id"), "journey_enrolments", ["customer_id"]
    )
    op.create_index("ix_journey_enrolments_due", "journey_enrolments", ["state", "due_at"])
    with op.batch_alter_table("campaign_sends", reflect_kwargs=OWN_TABLE_ONLY) as batch:
        batch.drop_constraint("uq_campaign_sends_campaign_id_step_customer_id", type_="unique")
        batch.add_column(sa.Column("enrolment_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            op.f("fk_campaign_sends_enrolment_id_journey_enrolments"),
            "journey_enrolments",
            ["enrolment_id"],
            ["id"],
        )
        batch.create_unique_constraint(
            op.f("uq_campaign_sends_enrolment_id_step"), ["enrolment_id", "step"]
        )
    op.create_index(
        "uq_campaign_sends_broadcast_step",
        "campaign_sends",
        ["campaign_id", "step", "customer_id"],
        unique=True,
        sqlite_where=BROADCAST_ROWS,
        postgresql_where=BROADCAST_ROWS,
    )


def downgrade() -> None:
    op.execute("DELETE FROM campaign_sends WHERE enrolment_id IS NOT NULL")
    op.drop_index("uq_campaign_sends_broadcast_step", table_name="campaign_sends")
    with op.batch_alter_table("campaign_sends", reflect_kwargs=OWN_TABLE_ONLY) as batch:
        batch.drop_constraint(op.f("uq_campaign_sends_enrolment_id_step"), type_="unique")
        batch.drop_constraint(
            op.f("fk_campaign_sends_enrolment_id_journey_enrolments"), type_="foreignkey"
        )
        batch.drop_column("enrolment_id")
        batch.create_unique_constraint(
            "uq_campaign_sends_campaign_id_step_customer_id", ["campaign_id", "step", "customer_id"]
        )
    op.drop_index("ix_journey_enrolments_due", table_name="journey_enrolments")
    op.drop_index(op.f("ix_journey_enrolments_customer_id"), table_name="journey_enrolments")
    op.drop_table("journey_enrolments")
    journeys = "(SELECT id FROM campaigns WHERE kind = 'journey')"
    op.execute(f"DELETE FROM campaign_sends WHERE campaign_id IN {journeys}")
    op.execute(f"DELETE FROM campaign_recipients WHERE campaign_id IN {journeys}")
    op.execute("DELETE FROM campaigns WHERE kind = 'journey'")
    with op.batch_alter_table("campaigns") as batch:
        batch.drop_column("trigger_cursor")
        batch.drop_column("journey")
        batch.drop_column("kind")
