"""The demo set: companies and people with their identities, the fixed demo customers'
stories, then activity (tickets, open leads, conversations), all from one
`random.Random` so every run builds the same store."""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from crm_store.models import Account, Customer, Identity
from crm_store.records import StaffRecord
from crm_store.tickets import open_ticket
from demo import data as words
from demo.activity import DemoActivity
from demo.draw import Draw
from demo.orders import DemoOrders

if TYPE_CHECKING:
    from demo.seed import DemoCustomer

ACCOUNTS = 60
CUSTOMERS = 320
TICKETS = 200
EURO_ACCOUNTS = 8
POUND_ACCOUNTS = 5
FIXED_PHONES = {"+14155550101", "+14155550102"}


class DemoPeople:
    def __init__(
        self, session: Session, rng: random.Random, now: datetime, staff: Sequence[StaffRecord]
    ) -> None:
        self.draw = Draw(session, rng, now)
        self.counts = self.draw.counts
        self.orders = DemoOrders(self.draw)
        self.people: list[Customer] = []
        self.activity = DemoActivity(self.draw, staff)
        self._addresses = set(session.execute(select(Identity.channel, Identity.address)).all())
        self._phones = self._fictional_phones()

    def build(self, fixed: Sequence[DemoCustomer]) -> None:
        accounts = self._accounts(fixed)
        by_name = {a.name: a for a in accounts}
        ada, grace, alan = (self._fixed_customer(c, by_name.get(c.account or "")) for c in fixed)
        people = self._customers(accounts, CUSTOMERS - len(fixed))
        self._fixed_stories(ada, grace, alan)
        self.people = people  # the generated customers; their orders: demo/sales_history.py
        self.activity.tickets(people, accounts[2:], TICKETS)
        self.activity.leads(people)
        self.activity.conversations([ada, grace, *self.draw.rng.sample(people, 160)])
        self.draw.session.flush()

    def _accounts(self, fixed: Sequence[DemoCustomer]) -> list[Account]:
        names = [c.account for c in fixed if c.account]
        pairs = [(w, k) for w in words.COMPANY_WORDS for k in words.COMPANY_KINDS]
        names += [f"{w} {k}" for w, k in self.draw.rng.sample(pairs, ACCOUNTS - len(names))]
        rows = []
        for index, name in enumerate(names):
            currency = "USD"
            if 2 <= index < 2 + EURO_ACCOUNTS:
                currency = "EUR"
            elif 2 + EURO_ACCOUNTS <= index < 2 + EURO_ACCOUNTS + POUND_ACCOUNTS:
                currency = "GBP"
            slug = name.lower().replace(" ", "-")
            rows.append(
                Account(
                    name=name,
                    domain=f"{slug}.test",
                    plan=self.draw.rng.choice(words.PLANS),
                    attributes={"demo_seed": 1, "currency": currency},
                )
            )
        self.draw.session.add_all(rows)
        self.draw.session.flush()
        self.draw.count("accounts", len(rows))
        return rows

    def _fixed_customer(self, demo: DemoCustomer, account: Account | None) -> Customer:
        row = self.draw.session.scalars(
            select(Customer).where(Customer.email == demo.email).order_by(Customer.id).limit(1)
        ).first()
        if row is None:
            row = Customer(email=demo.email, attributes={})
            self.draw.session.add(row)
        row.name = demo.name
        row.phone = demo.phone
        row.account_id = account.id if account is not None else None
        row.lifecycle_stage = "lead" if account is None else "customer"
        self.draw.session.flush()
        self.draw.count("customers")
        self._identity(row, "email", demo.email, verified=True)
        if demo.phone:
            self._identity(row, "sms", demo.phone, verified=True)
        return row

    def _customers(self, accounts: list[Account], count: int) -> list[Customer]:
        rows = []
        # Acme Corp and Globex get a few colleagues; every account gets someone.
        homes: list[Account | None] = [*accounts[:2], *accounts[:2], *accounts[2:]]
        while len(homes) < count:
            homes.append(self.draw.rng.choice(accounts) if self.draw.rng.random() < 0.8 else None)
        for index, account in enumerate(homes[:count]):
            first, last = (
                self.draw.rng.choice(words.FIRST_NAMES),
                self.draw.rng.choice(words.LAST_NAMES),
            )
            domain = account.domain if account is not None else "example.com"
            stage = self.draw.rng.choices(
                ("customer", "churned", "lead", "opportunity", "visitor"), (70, 8, 12, 5, 5)
            )[0]
            rows.append(
                Customer(
                    account_id=account.id if account is not None else None,
                    name=f"{first} {last}",
                    email=f"{first}.{last}.{index + 1}@{domain}".lower(),
                    phone=next(self._phones) if self.draw.rng.random() < 0.75 else None,
                    lifecycle_stage=stage,
                    attributes={"demo_seed": 1},
                    created_at=self.draw.ago(self.draw.rng.uniform(60, 900)),
                )
            )
        self.draw.session.add_all(rows)
        self.draw.session.flush()
        for row in rows:
            assert row.email is not None
            self._identity(row, "email", row.email, verified=self.draw.rng.random() < 0.6)
            if row.phone:
                self._identity(row, "sms", row.phone, verified=True)
            if self.draw.rng.random() < 0.5:
                self._identity(row, "web", f"demo-web-{self.draw.rng.getrandbits(64):016x}")
        self.draw.session.flush()
        self.draw.count("customers", len(rows))
        return rows

    def _identity(
        self, customer: Customer, channel: str, address: str, *, verified: bool = False
    ) -> None:
        if (channel, address) in self._addresses:
            return
        self._addresses.add((channel, address))
        self.draw.session.add(
            Identity(customer_id=customer.id, channel=channel, address=address, verified=verified)
        )
        self.draw.count("identities")

    def _fixed_stories(self, ada: Customer, grace: Customer, alan: Customer) -> None:
        self.orders.claim("4417", "4418", "4420", "5120")
        self.orders.order(ada, "4417", "shipped", 2.5, carrier="UPS", items=[0, 1])
        self.orders.order(ada, "4418", "delivered", 31, carrier="USPS", items=[7])
        self.orders.order(ada, "4420", "placed", 0.2, items=[6])
        self.orders.order(grace, "5120", "delayed", 9, carrier="FedEx", items=[4])
        ticket = open_ticket(
            self.draw.session,
            customer_id=grace.id,
            subject="Invoice shows the wrong VAT number",
            description="The invoice for order 5120 has our old VAT number on it.",
            priority="normal",
            author="bot",
        )
        self.activity.date_ticket(ticket.id, self.draw.ago(3), self.draw.ago(3))
        self.draw.count("tickets")
        self.activity.lead(alan, "new", "Team plan for a research group")

    def _fictional_phones(self) -> Iterator[str]:
        for area in (*words.AREA_CODES, "415"):
            for line in range(100, 200):
                phone = f"+1{area}5550{line}"
                if phone not in FIXED_PHONES:
                    yield phone
