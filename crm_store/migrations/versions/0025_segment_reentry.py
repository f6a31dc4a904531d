"""journey enrolments: when the customer was seen to leave the segment they entered

An `entered_segment` journey enrols a customer again when they come back to its
segment after leaving it, once their last entry is old enough
(engagement/journey_triggers.py); `left_segment_at` is when a trigger pass last found
them out of the segment after this entry (null: in it, as far as the passes saw).

Revision ID: 0025
Revises: 0024
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0025"
down_revision: str | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("journey_enrolments") as batch:
        batch.add_column(sa.Column("left_segment_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("journey_enrolments") as batch:
        batch.drop_column("left_segment_at")
