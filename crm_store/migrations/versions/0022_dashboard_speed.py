"""dashboard speed: customer_metrics indexed by last purchase, so the dashboard's date
range reads the customers whose last purchase falls in it and not the whole table
(analytics/dashboard.py)

Revision ID: 0022
Revises: 0020
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_customer_metrics_last_purchase", "customer_metrics", ["last_purchase_at"])


def downgrade() -> None:
    op.drop_index("ix_customer_metrics_last_purchase", table_name="customer_metrics")
