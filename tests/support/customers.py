"""The one seed of the demo customers for tests: Ada and Grace as `demo/seed.py`'s
`DEMO_CUSTOMERS` name them, with a slice of their stories small enough to assert on.

- Ada Lovelace (ada@example.com) at Acme Corp, with order 4417, shipped with UPS and a
  tracking link (USD 129.00, placed three days ago);
- Grace Hopper (grace@example.com) with order 5120, delayed.

The full demo set (`seed_demo`: 320 customers, 2,000 orders, 200 tickets) is for
tests about the demo itself; support tests count tickets and orders, so they get this.
Ada is customer 1 in a fresh store. No phone number is stored on either customer, so a
text from Ada's demo number (the SMS tests' sender) is linked to her only where a test
says so (`open_sms_conversation`). `ada_who_texted_stop` is a smaller Ada of her own:
a verified phone and an SMS opt-out, for the consent, audit and export tests.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from crm_store import Database, consents, customers
from crm_store.models import Account, Conversation, Customer, Identity, Order
from demo.seed import DEMO_CUSTOMERS

ADA_LOVELACE, GRACE_HOPPER = DEMO_CUSTOMERS[:2]
ADA = ADA_LOVELACE.email
GRACE = GRACE_HOPPER.email
ACME = ADA_LOVELACE.account


@dataclass(frozen=True, slots=True)
class SmsConversation:
    customer_id: int
    identity_id: int
    conversation_id: int


def seed(database: Database) -> None:
    """Ada (at Acme Corp) and Grace with their orders, in one transaction."""
    now = datetime.now(UTC)
    with database.transaction() as session:
        acme = Account(name=ACME, domain="acme.example", attributes={})
        session.add(acme)
        session.flush()
        ada = Customer(name=ADA_LOVELACE.name, email=ADA, account_id=acme.id, attributes={})
        grace = Customer(name=GRACE_HOPPER.name, email=GRACE, attributes={})
        session.add_all([ada, grace])
        session.flush()
        session.add_all(
            [
                Order(
                    number="4417",
                    customer_id=ada.id,
                    status="shipped",
                    total_cents=12900,
                    carrier="UPS",
                    tracking_url="https://track.example/1Z4417",
                    items=[],
                    placed_at=now - timedelta(days=3),
                ),
                Order(number="5120", customer_id=grace.id, status="delayed", items=[]),
            ]
        )


def open_sms_conversation(database: Database, email: str = ADA) -> SmsConversation:
    """Link the seeded customer to their demo phone number (an SMS identity) and open an
    SMS conversation on it, as if they had texted in before."""
    phone = next(c.phone for c in DEMO_CUSTOMERS if c.email == email)
    assert phone is not None, f"{email} has no demo phone number"
    with database.transaction() as session:
        customer = session.scalars(select(Customer).where(Customer.email == email)).one()
        identity = Identity(customer_id=customer.id, channel="sms", address=phone)
        session.add(identity)
        session.flush()
        conversation = Conversation(customer_id=customer.id, identity_id=identity.id, channel="sms")
        session.add(conversation)
        session.flush()
        return SmsConversation(customer.id, identity.id, conversation.id)


def ada_who_texted_stop(database: Database) -> int:
    """A customer known by her verified phone who withdrew SMS consent with STOP: one
    identity and one ledger entry, for the consent, audit and export tests."""
    with database.transaction() as session:
        record, _ = customers.resolve_identity(
            session, "sms", "+14155550101", name="Ada", phone="+14155550101", verified=True
        )
        consents.record_consent(
            session,
            channel="sms",
            address="+14155550101",
            decision="withdrawn",
            means="sms_keyword",
            source="SMS STOP",
        )
    return record.id
