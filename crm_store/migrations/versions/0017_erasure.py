"""erasure: erasure jobs, their checklist of steps (worked by the queue worker) and
the tombstones (keyed hashes of erased identifiers)

Revision ID: 0017
Revises: 0016
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "erasures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.String(length=30), nullable=False),
        sa.Column("requested_by_staff_id", sa.Integer(), nullable=True),
        sa.Column("via", sa.String(length=10), nullable=False),
        sa.Column("report", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["requested_by_staff_id"],
            ["staff_users.id"],
            name=op.f("fk_erasures_requested_by_staff_id_staff_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_erasures")),
    )
    op.create_index("ix_erasures_customer", "erasures", ["customer_id"])
    op.create_table(
        "erasure_steps",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("erasure_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=30), nullable=False),
        sa.Column("arguments", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("window_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("result", sa.JSON(), nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["erasure_id"], ["erasures.id"], name=op.f("fk_erasure_steps_erasure_id_erasures")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_erasure_steps")),
        sa.UniqueConstraint("erasure_id", "name", name=op.f("uq_erasure_steps_erasure_id_name")),
    )
    op.create_index("ix_erasure_steps_due", "erasure_steps", ["status", "next_attempt_at"])
    op.create_index(op.f("ix_erasure_steps_erasure_id"), "erasure_steps", ["erasure_id"])
    op.create_table(
        "erased_identifiers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("erasure_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["erasure_id"],
            ["erasures.id"],
            name=op.f("fk_erased_identifiers_erasure_id_erasures"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_erased_identifiers")),
        sa.UniqueConstraint("kind", "digest", name=op.f("uq_erased_identifiers_kind_digest")),
    )
    op.create_index(op.f("ix_erased_identifiers_erasure_id"), "erased_identifiers", ["erasure_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_erased_identifiers_erasure_id"), table_name="erased_identifiers")
    op.drop_table("erased_identifiers")
    op.drop_index(op.f("ix_erasure_steps_erasure_id"), table_name="erasure_steps")
    op.drop_index("ix_erasure_steps_due", table_name="erasure_steps")
    op.drop_table("erasure_steps")
    op.drop_index("ix_erasures_customer", table_name="erasures")
    op.drop_table("erasures")
