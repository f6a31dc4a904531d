"""Retention on SQLite and PostgreSQL: conversations resolved, tickets closed and
attachments noted before the cutoff lose their texts by the erasure's rules (the rows
stay for reports); newer ones and open ones are untouched; a dry run counts the same
and changes nothing; a second run finds nothing left."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from crm_store import Database
from crm_store.base import utcnow
from crm_store.models import Conversation, Customer, Identity, Interaction, Ticket
from crm_store.retention import apply_retention

OLD = utcnow() - timedelta(days=800)


def _seed(database: Database) -> dict[str, int]:
    with database.transaction() as session:
        ada = Customer(name="Ada", attributes={})
        session.add(ada)
        session.flush()
        identity = Identity(customer_id=ada.id, channel="email", address="ada@example.com")
        session.add(identity)
        session.flush()
        old = Conversation(
            customer_id=ada.id, identity_id=identity.id, channel="email", status="resolved",
            subject="Old refund", resolved_at=OLD, created_at=OLD,
        )  # fmt: skip
        recent = Conversation(customer_id=ada.id, identity_id=identity.id, channel="email")
        session.add_all([old, recent])
        session.flush()
        mail = {"email": {"subject": "Refund", "attachments": [{"name": "invoice.pdf"}]}}
        for seq, (conversation, when) in enumerate([(old, OLD), (recent, utcnow())], start=1):
            session.add(
                Interaction(
                    conversation_id=conversation.id,
                    customer_id=ada.id,
                    seq=seq,
                    direction="in",
                    author="customer",
                    channel="email",
                    text=f"words {seq}",
                    attributes=mail,
                    created_at=when,
                )
            )
        closed = Ticket(
            number="T-1", customer_id=ada.id, subject="Old", description="old words",
            status="closed", updated_at=OLD,
        )  # fmt: skip
        still_open = Ticket(
            number="T-2", customer_id=ada.id, subject="Open", status="open", updated_at=OLD
        )
        session.add_all([closed, still_open])
        session.flush()
        return {"old": old.id, "recent": recent.id, "closed": closed.id, "open": still_open.id}


def test_old_texts_go_and_new_ones_stay(database: Database) -> None:
    ids = _seed(database)
    cutoff = utcnow() - timedelta(days=720)
    limits = {
        "conversations_before": cutoff,
        "tickets_closed_before": cutoff,
        "attachments_before": cutoff,
    }
    expected = {"conversations": 1, "closed_tickets": 1, "attachments": 1}
    assert apply_retention(database.transaction, **limits, dry_run=True) == expected
    with database.transaction() as session:
        assert session.get_one(Conversation, ids["old"]).subject == "Old refund"
    assert apply_retention(database.transaction, **limits) == expected
    with database.transaction() as session:
        texts = dict(session.execute(select(Interaction.conversation_id, Interaction.text)).all())
        attributes = {
            row.conversation_id: row.attributes for row in session.scalars(select(Interaction))
        }
        tickets = {t.id: (t.subject, t.description) for t in session.scalars(select(Ticket))}
        old = session.get_one(Conversation, ids["old"])
        assert (old.subject, old.status) == (None, "resolved")
    assert texts == {ids["old"]: "", ids["recent"]: "words 2"}
    assert attributes[ids["old"]] == {}
    assert attributes[ids["recent"]]["email"]["attachments"] == [{"name": "invoice.pdf"}]
    assert tickets == {ids["closed"]: ("", ""), ids["open"]: ("Open", "")}
    assert apply_retention(database.transaction, **limits) == {
        "conversations": 0,
        "closed_tickets": 0,
        "attachments": 0,
    }


async def test_the_retention_job_runs_at_start_and_keeps_its_counts(database: Database) -> None:
    """The worker (bot/erasure/retention.py) applies the settings at once and keeps what
    it removed for `GET /api/v1/retention`."""
    import asyncio

    from bot.erasure.retention import RetentionJob
    from bot.settings import PrivacySettings

    _seed(database)
    job = RetentionJob(database, PrivacySettings(conversations_months=24, attachments_months=24))
    running = asyncio.create_task(job.run())
    for _ in range(500):
        if job.last_run is not None or running.done():
            break
        await asyncio.sleep(0.01)
    await job.stop()
    await running
    assert job.last_run is not None
    assert not job.last_run.dry_run
    assert job.last_run.removed == {"conversations": 1, "closed_tickets": 0, "attachments": 1}
