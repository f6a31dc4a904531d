"""Repositories on SQLite and PostgreSQL: identities, timeline, staff tokens, outbox claims."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy.exc import IntegrityError

from crm_store import Database, claims, customers, history, outbox, staff
from crm_store.base import utcnow
from crm_store.models import Identity
from crm_store.records import NewInteraction


def test_identity_resolves_to_the_same_customer(database: Database) -> None:
    with database.transaction() as session:
        first, identity = customers.resolve_identity(session, "sms", "+15550100", name="Ada")
    with database.transaction() as session:
        again, same = customers.resolve_identity(session, "sms", "+15550100", name="Other")
    assert again.id == first.id and same.id == identity.id
    assert again.name == "Ada"  # known details are never overwritten


def test_a_proven_address_with_a_known_email_joins_that_customer(database: Database) -> None:
    with database.transaction() as session:
        ada, _ = customers.resolve_identity(
            session, "email", "ada@example.com", email="ada@example.com", verified=True
        )
    with database.transaction() as session:
        linked, web = customers.resolve_identity(
            session, "web", "ws_1", email="ada@example.com", verified=True
        )
        ids = customers.identities_of(session, ada.id)
    assert linked.id == ada.id and web.verified
    assert [(i.channel, i.verified) for i in ids] == [("email", True), ("web", True)]


def test_a_claimed_email_links_to_nobody_and_reveals_nothing(database: Database) -> None:
    with database.transaction() as session:
        ada, _ = customers.resolve_identity(
            session, "email", "ada@example.com", name="Ada", email="ada@example.com", verified=True
        )
    with database.transaction() as session:
        stranger, web = customers.resolve_identity(session, "web", "ws_1", email="ADA@example.com")
        again, _ = customers.resolve_identity(session, "web", "ws_1", phone="+14155550100")
    assert stranger.id != ada.id and stranger.name is None and not web.verified
    assert stranger.email is None  # a claim never becomes the address on file
    assert again.attributes == {"claimed_email": "ada@example.com", "claimed_phone": "+14155550100"}


def test_identity_is_unique_per_channel_and_address(database: Database) -> None:
    with database.transaction() as session:
        customer, _ = customers.resolve_identity(session, "sms", "+15550100")
    with pytest.raises(IntegrityError), database.transaction() as session:
        session.add(Identity(customer_id=customer.id, channel="sms", address="+15550100"))
        session.flush()


def test_find_customers_by_email_and_phone(database: Database) -> None:
    with database.transaction() as session:
        customers.resolve_identity(session, "sms", "+15550100", phone="+15550100", verified=True)
        customers.resolve_identity(session, "web", "ws_2", email="bo@example.com", verified=True)
    with database.transaction() as session:
        by_phone = customers.find_customers(session, phone="+15550100")
        by_email = customers.find_customers(session, email=" Bo@Example.COM")
        nobody = customers.find_customers(session, email="nobody@example.com")
    assert [c.phone for c in by_phone] == ["+15550100"]
    assert [c.email for c in by_email] == ["bo@example.com"]
    assert nobody == []


def test_timeline_spans_channels_oldest_first(database: Database) -> None:
    with database.transaction() as session:
        ada, sms = customers.resolve_identity(
            session, "sms", "+1", email="ada@example.com", verified=True
        )
        _, web = customers.resolve_identity(
            session, "web", "ws_1", email="ada@example.com", verified=True
        )
        texting = history.current_conversation(
            session, customer_id=ada.id, identity_id=sms.id, channel="sms"
        )
        chatting = history.current_conversation(
            session, customer_id=ada.id, identity_id=web.id, channel="web"
        )
        for conversation, text in [(texting, "sms 1"), (chatting, "web 1"), (texting, "sms 2")]:
            history.append(
                session, conversation, NewInteraction(direction="in", author="customer", text=text)
            )
    with database.transaction() as session:
        timeline = history.timeline(session, ada.id)
    assert [(i.channel, i.text) for i in timeline] == [
        ("sms", "sms 1"),
        ("web", "web 1"),
        ("sms", "sms 2"),
    ]
    assert [i.seq for i in timeline] == [1, 1, 2]


def test_resolved_conversation_reopens_for_the_bot(database: Database) -> None:
    with database.transaction() as session:
        ada, sms = customers.resolve_identity(session, "sms", "+1")
        first = history.current_conversation(
            session, customer_id=ada.id, identity_id=sms.id, channel="sms"
        )
        history.set_owner(session, first.id, "agent", staff_id=None)
    from crm_store.models import Conversation

    with database.transaction() as session:
        session.get_one(Conversation, first.id).status = "resolved"
    with database.transaction() as session:
        again = history.current_conversation(
            session, customer_id=ada.id, identity_id=sms.id, channel="sms"
        )
    assert (again.id, again.status, again.owner) == (first.id, "open", "bot")


def test_a_loaded_conversation_reads_the_numbers_and_slots_an_append_set(
    database: Database,
) -> None:
    """The numbering is a statement on the table (built once, no ORM UPDATE): an object
    of the conversation already in the session still reads what it changed."""
    from crm_store.models import Conversation

    with database.transaction() as session:
        ada, web = customers.resolve_identity(session, "web", "w-1")
        conversation = history.current_conversation(
            session, customer_id=ada.id, identity_id=web.id, channel="web"
        )
        loaded = session.get_one(Conversation, conversation.id)
        assert (loaded.last_seq, loaded.slots) == (0, {})
        history.append(session, conversation, NewInteraction("in", "customer", "hi"))
        history.append(
            session, conversation, NewInteraction("out", "bot", "hello"), slots={"step": 2}
        )
        assert (loaded.last_seq, loaded.slots) == (2, {"step": 2})
        assert history.get_conversation(session, conversation.id).last_seq == 2


def test_staff_token_is_stored_hashed_and_finds_its_user(database: Database) -> None:
    with database.transaction() as session:
        record, token = staff.create_staff(
            session, name="Sam", email="Sam@Example.com", role="agent", slack_user_id="U1"
        )
    from crm_store.models import StaffUser

    with database.transaction() as session:
        stored = session.get_one(StaffUser, record.id)
        assert token not in stored.api_token_hash
        assert staff.staff_by_token(session, token) == record
        assert staff.staff_by_token(session, token + "x") is None
    assert record.email == "sam@example.com"
    with pytest.raises(ValueError, match="role must be one of"), database.transaction() as session:
        staff.create_staff(session, name="X", email="x@example.com", role="boss")


def _queue(database: Database, count: int, *, recipients: int = 1) -> None:
    """`count` replies, spread round robin over `recipients` phone numbers."""
    with database.transaction() as session:
        conversations = []
        for number in range(recipients):
            ada, identity = customers.resolve_identity(session, "sms", f"+1{number or ''}")
            conversations.append(
                history.current_conversation(
                    session, customer_id=ada.id, identity_id=identity.id, channel="sms"
                )
            )
        for n in range(count):
            conversation = conversations[n % recipients]
            address = f"+1{(n % recipients) or ''}"
            reply = history.append(
                session,
                conversation,
                NewInteraction(
                    direction="out", author="bot", text=f"reply {n}", delivery_status="pending"
                ),
            )
            outbox.enqueue(
                session,
                interaction_id=reply.id,
                conversation_id=conversation.id,
                channel="sms",
                address=address,
                payload=outbox.payload_for(reply),
            )


def test_claims_are_disjoint_and_expired_leases_come_back(database: Database) -> None:
    # Ten recipients: a recipient's later rows wait while an earlier one is being sent
    # (order per recipient), so concurrent workers share out different recipients.
    _queue(database, 10, recipients=10)
    now = utcnow()
    claimed: list[list[int]] = []
    lock = threading.Lock()

    def claim() -> None:
        with database.transaction() as session:
            rows = outbox.claim_due(session, now=now, limit=4, lease=timedelta(seconds=30))
            with lock:
                claimed.append([row.id for row in rows])

    threads = [threading.Thread(target=claim) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    ids = [i for batch in claimed for i in batch]
    assert len(ids) == 10 and len(set(ids)) == 10  # every row once, none twice

    with database.transaction() as session:
        assert outbox.claim_due(session, now=now, limit=10, lease=timedelta(seconds=30)) == []
        later = now + timedelta(seconds=31)
        again = outbox.claim_due(session, now=later, limit=10, lease=timedelta(seconds=30))
    assert len(again) == 10 and all(row.attempts == 2 for row in again)


def test_the_next_due_time_is_a_retry_or_a_lease_end_not_a_row_due_already(
    database: Database,
) -> None:
    _queue(database, 3, recipients=3)
    now = utcnow()
    with database.transaction() as session:
        assert outbox.next_due(session, after=now) is None  # all due: nothing waits
        first, second, third = outbox.claim_due(
            session, now=now, limit=3, lease=timedelta(seconds=60)
        )
        outbox.schedule_retry(session, first.id, error="5xx", at=now + timedelta(seconds=90))
        outbox.mark_sent(session, third.id, "SM1")
    with database.reading() as session:
        # `second` is claimed (its process may die): due when its lease ends.
        assert outbox.next_due(session, after=now) == now + timedelta(seconds=60)
        assert outbox.next_due(session, after=now, channels=["email"]) is None
    with database.transaction() as session:
        outbox.mark_sent(session, second.id, "SM2")
    with database.reading() as session:
        assert outbox.next_due(session, after=now) == now + timedelta(seconds=90)


def test_a_commit_that_queued_rows_names_their_queue_once(database: Database) -> None:
    told: list[str] = []
    database.on_queued(told.append)
    _queue(database, 2)  # one transaction, two rows
    assert told == ["outbox"]
    with pytest.raises(RuntimeError), database.transaction() as session:
        claims.note_queued(session, "outbox")
        raise RuntimeError("rolled back")
    assert told == ["outbox"]  # a rolled-back row wakes nobody


def test_skip_locked_lets_a_second_worker_pass_locked_rows(postgres_url: str) -> None:
    """PostgreSQL only: a claim held open in one transaction is skipped, not waited on."""
    from crm_store import upgrade

    upgrade(postgres_url)
    database = Database(postgres_url)
    try:
        _queue(database, 4)
        now = utcnow()
        with database.transaction() as holding:
            held = outbox.claim_due(holding, now=now, limit=2, lease=timedelta(seconds=30))
            with database.transaction() as other:
                rest = outbox.claim_due(other, now=now, limit=10, lease=timedelta(seconds=30))
        assert {r.id for r in held}.isdisjoint({r.id for r in rest})
        assert len(held) == 2 and len(rest) == 2
    finally:
        database.dispose()
