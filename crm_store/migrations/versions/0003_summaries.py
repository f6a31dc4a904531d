"""account summaries: find accounts and customers by name quickly

Revision ID: 0003
Revises: 0002

Names are searched without regard to case (`lower(name)`): a B-tree on both databases
for exact matches, and on PostgreSQL a trigram GIN index (the `pg_trgm` extension, a
trusted one that the database owner may create) for names starting with or containing
the text. The account summary itself needs no new index: its queries use the
customer_id indexes the tables already have.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("accounts", "customers")


def upgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    if postgresql:
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for table in TABLES:
        op.create_index(f"ix_{table}_name_lower", table, [sa.text("lower(name)")])
        if postgresql:
            op.create_index(
                f"ix_{table}_name_trgm",
                table,
                [sa.text("lower(name) gin_trgm_ops")],
                postgresql_using="gin",
            )


def downgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    for table in TABLES:
        if postgresql:
            op.drop_index(f"ix_{table}_name_trgm", table_name=table)
        op.drop_index(f"ix_{table}_name_lower", table_name=table)
