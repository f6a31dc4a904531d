"""Pending contacts: mail from an unproven sender not on file gets no customer record
until an authenticated message or a person makes one (crm_store/pending_contacts.py,
`customers.resolve_identity(address_is_claim=True)`, the staff API's accept)."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import select

from bot.app import create_app
from bot.settings import DatabaseSettings, Settings
from channels.messages import Channel, ContactProfile, InboundMessage
from crm_store import Database, customers, pending_contacts
from crm_store.models import Customer, Identity
from crm_store.staff import create_staff
from crm_store.subjects import find_subjects
from tests.support.fakes import ScriptedDialogue

STRANGER = "stranger@example.org"


def claim(database: Database, address: str, name: str | None = "Win A Prize"):  # type: ignore[no-untyped-def]
    """What the engine does for a mail nobody vouched for."""
    with database.transaction() as session:
        return customers.resolve_identity(
            session, "email", address, name=name, email=address, address_is_claim=True
        )


def proven(database: Database, address: str, name: str | None = "Sam Stranger"):  # type: ignore[no-untyped-def]
    """...and for a mail a trusted receiver authenticated."""
    with database.transaction() as session:
        return customers.resolve_identity(
            session, "email", address, name=name, email=address, verified=True
        )


def test_an_unproven_sender_not_on_file_is_a_pending_contact_nobody_finds(
    database: Database,
) -> None:
    contact, identity = claim(database, STRANGER)
    again, _ = claim(database, STRANGER, name="Someone Else")
    assert contact.pending and again.id == contact.id
    assert contact.name is None and contact.email is None
    assert contact.attributes == {"claimed_name": "Win A Prize"}
    assert not identity.verified
    with database.transaction() as session:
        assert customers.find_customers(session, email=STRANGER) == []
        assert find_subjects(session, "Win A Prize") == []
        assert not customers.address_on_file(session, "email", STRANGER)
        [(listed, addresses, _)] = pending_contacts.pending_contacts(session)
    assert listed.id == contact.id and addresses == [STRANGER]


def test_an_authenticated_mail_makes_the_pending_contact_a_customer(database: Database) -> None:
    pending, _ = claim(database, STRANGER)
    customer, identity = proven(database, STRANGER)
    assert customer.id == pending.id and not customer.pending
    assert customer.email == STRANGER and customer.name == "Sam Stranger"
    assert identity.verified
    with database.transaction() as session:
        assert [c.id for c in customers.find_customers(session, email=STRANGER)] == [customer.id]


def test_a_pending_contact_joins_the_customer_who_has_its_address_on_file(
    database: Database,
) -> None:
    pending, _ = claim(database, STRANGER)
    # Meanwhile the address becomes a customer's: signed in on the website, say.
    with database.transaction() as session:
        owner, _ = customers.resolve_identity(
            session, "web", "session-1", name="Sam Stranger", email=STRANGER, verified=True
        )
    joined, identity = claim(database, STRANGER)
    assert joined.id == owner.id and not joined.pending and identity.customer_id == owner.id
    with database.transaction() as session:
        assert session.get(Customer, pending.id) is None  # merged away


def test_an_unproven_mail_from_an_address_on_file_joins_that_customer_and_changes_nothing(
    database: Database,
) -> None:
    with database.transaction() as session:
        grace, _ = customers.resolve_identity(
            session, "sms", "+14155550123", name="Grace Hopper", phone="+14155550123",
            verified=True,
        )  # fmt: skip
        row = session.get_one(Customer, grace.id)
        row.email = "grace@example.com"
    joined, identity = claim(database, "grace@example.com", name="Mallory")
    assert joined.id == grace.id and not joined.pending
    assert joined.name == "Grace Hopper" and joined.attributes == {}  # no claims taken
    assert not identity.verified
    with database.transaction() as session:
        assert customers.address_on_file(session, "email", "grace@example.com")


def test_staff_accept_a_pending_contact(tmp_path: Path) -> None:
    settings = Settings(
        data_dir=tmp_path / "var",
        database=DatabaseSettings(url=f"sqlite:///{tmp_path / 'p.db'}", auto_migrate=True),
    )
    with TestClient(create_app(settings, dialogue=ScriptedDialogue())) as client:
        services = client.app.state.services  # type: ignore[attr-defined]
        with services.database.transaction() as session:
            _, token = create_staff(session, name="Sam", email="sam@acme.test", role="agent")
        staff = {"Authorization": f"Bearer {token}"}
        client.portal.call(  # type: ignore[union-attr]
            services.engine.receive,
            InboundMessage(
                channel=Channel.EMAIL,
                address=STRANGER,
                provider_message_id="<p1@example.org>",
                text="Hello, I bought a jacket last week",
                profile=ContactProfile(name="Sam Stranger", email=STRANGER),
                address_is_claim=True,
            ),
        )
        assert client.get(f"/api/v1/customers?email={STRANGER}", headers=staff).json() == {
            "customers": []
        }
        [listed] = client.get("/api/v1/pending-contacts", headers=staff).json()["pending_contacts"]
        assert listed["addresses"] == [STRANGER] and listed["messages"] == 1
        assert listed["claimed_name"] == "Sam Stranger"
        assert client.get("/api/v1/pending-contacts").status_code == 401

        accepted = client.post(f"/api/v1/pending-contacts/{listed['id']}/accept", headers=staff)
        assert accepted.status_code == 200, accepted.text
        customer = accepted.json()
        assert customer["pending"] is False and customer["email"] == STRANGER
        assert customer["name"] == "Sam Stranger"
        again = client.post(f"/api/v1/pending-contacts/{listed['id']}/accept", headers=staff)
        assert again.status_code == 404
        [found] = client.get(f"/api/v1/customers?email={STRANGER}", headers=staff).json()[
            "customers"
        ]
        assert found["id"] == customer["id"]
        timeline = client.get(f"/api/v1/customers/{found['id']}/interactions", headers=staff)
        first = timeline.json()["interactions"][0]
        assert first["text"] == "Hello, I bought a jacket last week"


def test_accepting_a_pending_contact_whose_email_is_on_file_joins_that_customer(
    database: Database,
) -> None:
    pending, _ = claim(database, STRANGER)
    with database.transaction() as session:
        owner = Customer(name="Sam Stranger", email=STRANGER, attributes={})
        session.add(owner)
        session.flush()
        owner_id = owner.id
        accepted = pending_contacts.accept(session, pending.id)
        identity = session.scalars(select(Identity).where(Identity.address == STRANGER)).one()
    assert accepted.id == owner_id and identity.customer_id == owner_id
