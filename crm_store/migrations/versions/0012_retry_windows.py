"""retry windows: dead rows that an admin may retry with a fresh window

Outbox rows and Slack calls are now retried for a window of time and then parked as
`dead` (the status columns are plain strings: no change there). An admin's retry of a
dead row starts its window again from `retry_from`; unset, the window starts at
`created_at`.

Revision ID: 0012
Revises: 0010
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("outbox", sa.Column("retry_from", sa.DateTime(timezone=True), nullable=True))
    op.add_column("slack_calls", sa.Column("retry_from", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    op.drop_column("slack_calls", "retry_from")
    op.drop_column("outbox", "retry_from")
