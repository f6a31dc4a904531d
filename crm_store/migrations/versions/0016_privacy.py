"""privacy: the consent ledger (append-only) replaces the consents flags, whose rows
move into it; the audit log (append-only, ids only); webhook subscriptions,
deliveries (an outbox per subscription) and their tries

Revision ID: 0016
Revises: 0015
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PURPOSES = ("marketing", "service", "surveys")


def upgrade() -> None:
    _consent_ledger()
    _audit_log()
    _webhooks()


def downgrade() -> None:
    op.drop_index(op.f("ix_webhook_attempts_delivery_id"), table_name="webhook_attempts")
    op.drop_table("webhook_attempts")
    op.drop_index("ix_webhook_deliveries_subject", table_name="webhook_deliveries")
    op.drop_index("ix_webhook_deliveries_due", table_name="webhook_deliveries")
    op.drop_index(op.f("ix_webhook_deliveries_customer_id"), table_name="webhook_deliveries")
    op.drop_table("webhook_deliveries")
    op.drop_table("webhook_subscriptions")
    op.drop_index("ix_audit_log_customer", table_name="audit_log")
    op.drop_index(op.f("ix_audit_log_staff_id"), table_name="audit_log")
    op.drop_table("audit_log")
    _consent_flags_back()


def _webhooks() -> None:
    op.create_table(
        "webhook_subscriptions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("events", sa.JSON(), nullable=False),
        sa.Column("secret", sa.String(length=200), nullable=False),
        sa.Column("description", sa.String(length=300), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("failing_since", sa.DateTime(timezone=True), nullable=True),
        sa.Column("disabled_reason", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_subscriptions")),
    )
    op.create_table(
        "webhook_deliveries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subscription_id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column("event_id", sa.String(length=40), nullable=False),
        sa.Column("event_type", sa.String(length=40), nullable=False),
        sa.Column("subject", sa.String(length=100), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("window_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_webhook_deliveries_customer_id_customers"),
        ),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["webhook_subscriptions.id"],
            name=op.f("fk_webhook_deliveries_subscription_id_webhook_subscriptions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_deliveries")),
    )
    op.create_index(
        op.f("ix_webhook_deliveries_customer_id"), "webhook_deliveries", ["customer_id"]
    )
    op.create_index(
        "ix_webhook_deliveries_due", "webhook_deliveries", ["status", "next_attempt_at"]
    )
    op.create_index(
        "ix_webhook_deliveries_subject", "webhook_deliveries", ["subscription_id", "subject", "id"]
    )
    op.create_table(
        "webhook_attempts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("delivery_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["delivery_id"],
            ["webhook_deliveries.id"],
            name=op.f("fk_webhook_attempts_delivery_id_webhook_deliveries"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_attempts")),
    )
    op.create_index(op.f("ix_webhook_attempts_delivery_id"), "webhook_attempts", ["delivery_id"])


def _audit_log() -> None:
    # customer_id is no foreign key: the log outlives the customer (models/audit.py).
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_kind", sa.String(length=10), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("via", sa.String(length=10), nullable=False),
        sa.Column("endpoint", sa.String(length=200), nullable=False),
        sa.Column("subject", sa.String(length=100), nullable=True),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["staff_users.id"], name=op.f("fk_audit_log_staff_id_staff_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    op.create_index("ix_audit_log_customer", "audit_log", ["customer_id", "id"])
    op.create_index(op.f("ix_audit_log_staff_id"), "audit_log", ["staff_id"], unique=False)


def _consent_ledger() -> None:
    op.create_table(
        "consent_ledger",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("address", sa.String(length=320), nullable=False),
        sa.Column("purpose", sa.String(length=30), nullable=False),
        sa.Column("decision", sa.String(length=20), nullable=False),
        sa.Column("means", sa.String(length=30), nullable=False),
        sa.Column("wording", sa.Text(), nullable=True),
        sa.Column("source", sa.String(length=200), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_consent_ledger_customer_id_customers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consent_ledger")),
    )
    op.create_index(
        "ix_consent_ledger_address",
        "consent_ledger",
        ["channel", "address", "purpose", "id"],
    )
    op.create_index(
        op.f("ix_consent_ledger_customer_id"), "consent_ledger", ["customer_id"], unique=False
    )
    # Each flag becomes one entry per purpose it covered, with its own time and source:
    # the old `messages` purpose ("send me nothing more here", SMS STOP) covered all
    # three; `marketing` (the web chat's opt-out) itself. Means `migration`: what the
    # flag cannot tell (the keyword, the words shown) is not made up.
    old = sa.table(
        "consents",
        sa.column("id", sa.Integer),
        sa.column("customer_id", sa.Integer),
        sa.column("channel", sa.String),
        sa.column("address", sa.String),
        sa.column("purpose", sa.String),
        sa.column("status", sa.String),
        sa.column("source", sa.String),
        sa.column("recorded_at", sa.DateTime(timezone=True)),
    )
    ledger = sa.table(
        "consent_ledger",
        sa.column("customer_id", sa.Integer),
        sa.column("channel", sa.String),
        sa.column("address", sa.String),
        sa.column("purpose", sa.String),
        sa.column("decision", sa.String),
        sa.column("means", sa.String),
        sa.column("source", sa.String),
        sa.column("recorded_at", sa.DateTime(timezone=True)),
    )
    connection = op.get_bind()
    entries = []
    for row in connection.execute(sa.select(old).order_by(old.c.recorded_at, old.c.id)):
        purposes = (row.purpose,) if row.purpose in PURPOSES else PURPOSES
        for purpose in purposes:
            entries.append(
                {
                    "customer_id": row.customer_id,
                    "channel": row.channel,
                    "address": row.address,
                    "purpose": purpose,
                    "decision": "withdrawn" if row.status == "opted_out" else "granted",
                    "means": "migration",
                    "source": row.source,
                    "recorded_at": row.recorded_at,
                }
            )
    if entries:
        op.bulk_insert(ledger, entries)
    with op.batch_alter_table("consents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_consents_customer_id"))
    op.drop_table("consents")


def _consent_flags_back() -> None:
    op.create_table(
        "consents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("address", sa.String(length=320), nullable=False),
        sa.Column("purpose", sa.String(length=30), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("source", sa.String(length=100), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_consents_customer_id_customers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consents")),
        sa.UniqueConstraint(
            "channel", "address", "purpose", name=op.f("uq_consents_channel_address_purpose")
        ),
    )
    with op.batch_alter_table("consents", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_consents_customer_id"), ["customer_id"], unique=False)
    # The flags back from the consent in force: `service` was the old `messages`.
    op.execute(
        """
        INSERT INTO consents (customer_id, channel, address, purpose, status, source, recorded_at)
        SELECT customer_id, channel, address,
               CASE purpose WHEN 'service' THEN 'messages' ELSE purpose END,
               CASE decision WHEN 'withdrawn' THEN 'opted_out' ELSE 'opted_in' END,
               substr(source, 1, 100), recorded_at
        FROM consent_ledger
        WHERE purpose IN ('service', 'marketing')
          AND id IN (SELECT max(id) FROM consent_ledger GROUP BY channel, address, purpose)
        """
    )
    op.drop_index("ix_consent_ledger_address", table_name="consent_ledger")
    op.drop_index(op.f("ix_consent_ledger_customer_id"), table_name="consent_ledger")
    op.drop_table("consent_ledger")
