"""The demo set itself: companies, people with identities, orders, tickets, leads and
conversations, drawn from one `random.Random` so every run builds the same store."""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot import demo_data as words
from crm_store.models import (
    Account,
    Conversation,
    Customer,
    Identity,
    Interaction,
    Lead,
    Order,
    Ticket,
    TicketEvent,
)
from crm_store.records import StaffRecord
from crm_store.tickets import open_ticket

if TYPE_CHECKING:
    from bot.demo_seed import DemoCustomer

ACCOUNTS = 60
CUSTOMERS = 320
ORDERS = 2000
TICKETS = 200
EURO_ACCOUNTS = 8
POUND_ACCOUNTS = 5
FIXED_PHONES = {"+14155550101", "+14155550102"}


class DemoPeople:
    def __init__(
        self, session: Session, rng: random.Random, now: datetime, staff: Sequence[StaffRecord]
    ) -> None:
        self.session = session
        self.rng = rng
        self.now = now
        self.agents = [s for s in staff if s.role == "agent"]
        self.sales = [s for s in staff if s.role == "sales"]
        self.counts: dict[str, int] = {}
        self._taken = set(session.scalars(select(Order.number)))
        self._addresses = set(session.execute(select(Identity.channel, Identity.address)).all())
        self._phones = self._fictional_phones()
        self._next_sales = 0

    def build(self, fixed: Sequence[DemoCustomer]) -> None:
        accounts = self._accounts(fixed)
        by_name = {a.name: a for a in accounts}
        ada, grace, alan = (self._fixed_customer(c, by_name.get(c.account or "")) for c in fixed)
        people = self._customers(accounts, CUSTOMERS - len(fixed))
        self._fixed_stories(ada, grace, alan)
        buyers = [c for c in people if c.lifecycle_stage in ("customer", "churned")]
        self._orders(buyers, ORDERS)
        self._tickets(people, accounts[2:], TICKETS)
        self._leads(people)
        self._conversations([ada, grace, *self.rng.sample(people, 160)])
        self.session.flush()

    # Companies and people.

    def _accounts(self, fixed: Sequence[DemoCustomer]) -> list[Account]:
        names = [c.account for c in fixed if c.account]
        pairs = [(w, k) for w in words.COMPANY_WORDS for k in words.COMPANY_KINDS]
        names += [f"{w} {k}" for w, k in self.rng.sample(pairs, ACCOUNTS - len(names))]
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
                    plan=self.rng.choice(words.PLANS),
                    attributes={"demo_seed": 1, "currency": currency},
                )
            )
        self.session.add_all(rows)
        self.session.flush()
        self.counts["accounts"] = len(rows)
        return rows

    def _fixed_customer(self, demo: DemoCustomer, account: Account | None) -> Customer:
        row = self.session.scalars(
            select(Customer).where(Customer.email == demo.email).order_by(Customer.id).limit(1)
        ).first()
        if row is None:
            row = Customer(email=demo.email, attributes={})
            self.session.add(row)
        row.name = demo.name
        row.phone = demo.phone
        row.account_id = account.id if account is not None else None
        row.lifecycle_stage = "lead" if account is None else "customer"
        self.session.flush()
        self._identity(row, "email", demo.email, verified=True)
        if demo.phone:
            self._identity(row, "sms", demo.phone, verified=True)
        return row

    def _customers(self, accounts: list[Account], count: int) -> list[Customer]:
        rows = []
        # Acme Corp and Globex get a few colleagues; every account gets someone.
        homes: list[Account | None] = [*accounts[:2], *accounts[:2], *accounts[2:]]
        while len(homes) < count:
            homes.append(self.rng.choice(accounts) if self.rng.random() < 0.8 else None)
        for index, account in enumerate(homes[:count]):
            first, last = self.rng.choice(words.FIRST_NAMES), self.rng.choice(words.LAST_NAMES)
            domain = account.domain if account is not None else "example.com"
            stage = self.rng.choices(
                ("customer", "churned", "lead", "opportunity", "visitor"), (70, 8, 12, 5, 5)
            )[0]
            rows.append(
                Customer(
                    account_id=account.id if account is not None else None,
                    name=f"{first} {last}",
                    email=f"{first}.{last}.{index + 1}@{domain}".lower(),
                    phone=next(self._phones) if self.rng.random() < 0.75 else None,
                    lifecycle_stage=stage,
                    attributes={"demo_seed": 1},
                    created_at=self._ago(self.rng.uniform(60, 900)),
                )
            )
        self.session.add_all(rows)
        self.session.flush()
        for row in rows:
            assert row.email is not None
            self._identity(row, "email", row.email, verified=self.rng.random() < 0.6)
            if row.phone:
                self._identity(row, "sms", row.phone, verified=True)
            if self.rng.random() < 0.5:
                self._identity(row, "web", f"demo-web-{self.rng.getrandbits(64):016x}")
        self.session.flush()
        self.counts["customers"] = len(rows) + 3
        return rows

    def _identity(
        self, customer: Customer, channel: str, address: str, *, verified: bool = False
    ) -> None:
        if (channel, address) in self._addresses:
            return
        self._addresses.add((channel, address))
        self.session.add(
            Identity(customer_id=customer.id, channel=channel, address=address, verified=verified)
        )
        self.counts["identities"] = self.counts.get("identities", 0) + 1

    # The fixed stories the demo page links to.

    def _fixed_stories(self, ada: Customer, grace: Customer, alan: Customer) -> None:
        for number in ("4417", "4418", "4420", "5120"):
            if number in self._taken:
                raise ValueError(f"order {number} exists already: seed an empty store")
        self._order(ada, "4417", "shipped", 2.5, carrier="UPS", items=[0, 1])
        self._order(ada, "4418", "delivered", 31, carrier="USPS", items=[7])
        self._order(ada, "4420", "placed", 0.2, items=[6])
        self._order(grace, "5120", "delayed", 9, carrier="FedEx", items=[4])
        ticket = open_ticket(
            self.session,
            customer_id=grace.id,
            subject="Invoice shows the wrong VAT number",
            description="The invoice for order 5120 has our old VAT number on it.",
            priority="normal",
            author="bot",
        )
        self._date_ticket(ticket.id, self._ago(3), self._ago(3))
        self._lead(alan, "new", "Team plan for a research group")

    # Orders.

    def _orders(self, buyers: list[Customer], count: int) -> None:
        owners = list(buyers) + [self.rng.choice(buyers) for _ in range(count - len(buyers))]
        for customer in owners:
            if customer.lifecycle_stage == "churned":
                age = self.rng.uniform(400, 730)
            else:
                age = self.rng.uniform(0.1, 730)
            self._order(customer, self._number(), self._status(age), age)
        self.counts["orders"] = len(owners) + 4

    def _status(self, age: float) -> str:
        if age < 2:
            return "placed"
        if age < 5:
            return self.rng.choice(("processing", "shipped"))
        if age < 12:
            return self.rng.choices(("shipped", "delayed", "delivered"), (75, 15, 10))[0]
        return self.rng.choices(("delivered", "returned", "cancelled"), (88, 5, 7))[0]

    def _order(
        self,
        customer: Customer,
        number: str,
        status: str,
        age: float,
        *,
        carrier: str | None = None,
        items: list[int] | None = None,
    ) -> None:
        chosen = items or self.rng.sample(range(len(words.CATALOGUE)), self.rng.randint(1, 3))
        lines = [
            {"sku": sku, "name": name, "quantity": qty, "unit_cents": cents}
            for sku, name, cents in (words.CATALOGUE[i] for i in chosen)
            for qty in [self.rng.randint(1, 3)]
        ]
        tracking = None
        if status in ("shipped", "delayed", "delivered", "returned"):
            carrier = carrier or self.rng.choice(list(words.CARRIERS))
            code = f"{self.rng.getrandbits(60):018d}"[:18]
            code = "1Z" + code[:16] if carrier == "UPS" else code
            tracking = words.CARRIERS[carrier].format(code)
        else:
            carrier = None
        placed = self._ago(age)
        account_currency = customer.account.attributes.get("currency") if customer.account else None
        self._taken.add(number)
        self.session.add(
            Order(
                number=number,
                customer_id=customer.id,
                status=status,
                total_cents=sum(line["quantity"] * line["unit_cents"] for line in lines),
                currency=account_currency or "USD",
                items=lines,
                carrier=carrier,
                tracking_url=tracking,
                placed_at=placed,
                updated_at=min(self.now, placed + timedelta(days=min(age, 6))),
            )
        )

    def _number(self) -> str:
        while True:
            number = str(self.rng.randint(10_000, 999_999))
            if number not in self._taken:
                return number

    # Tickets, leads, conversations.

    def _tickets(self, people: list[Customer], accounts: list[Account], count: int) -> None:
        busy = accounts[0]  # a generated account with a rough month: at risk by tickets
        crowd = [c for c in people if c.account_id == busy.id]
        for index in range(count):
            if index < 4:
                customer, age = crowd[index % len(crowd)], self.rng.uniform(1, 20)
            else:
                customer = self.rng.choice(people)
                age = (
                    self.rng.uniform(0.5, 30)
                    if self.rng.random() < 0.15
                    else self.rng.uniform(30, 365)
                )
            ticket = open_ticket(
                self.session,
                customer_id=customer.id,
                subject=self.rng.choice(words.TICKET_SUBJECTS),
                description="Opened from the demo seed.",
                priority=self.rng.choices(("low", "normal", "high", "urgent"), (20, 55, 20, 5))[0],
                author=self.rng.choice(("bot", "agent")),
            )
            self._ticket_story(ticket.id, age)
        self.counts["tickets"] = count + 1

    def _ticket_story(self, ticket_id: int, age: float) -> None:
        created = self._ago(age)
        if age < 7:
            status = self.rng.choice(("open", "open", "pending"))
        elif age < 30:
            status = self.rng.choices(("open", "solved"), (30, 70))[0]
        else:
            status = self.rng.choices(("solved", "closed"), (40, 60))[0]
        agent = self.rng.choice(self.agents)
        steps = [("assigned", {"from": None, "to": agent.id}, "")]
        steps.append(("comment", {}, "Thanks for the details, looking into it now."))
        if status != "open":
            steps.append(("status_changed", {"from": "open", "to": status}, ""))
        moment = created
        for kind, data, body in steps:
            moment = min(self.now, moment + timedelta(hours=self.rng.uniform(0.5, 30)))
            self.session.add(
                TicketEvent(
                    ticket_id=ticket_id,
                    kind=kind,
                    author="agent",
                    staff_id=agent.id,
                    body=body,
                    data=data,
                    created_at=moment,
                )
            )
        self.session.execute(
            update(Ticket)
            .where(Ticket.id == ticket_id)
            .values(status=status, assigned_staff_id=agent.id)
        )
        self._date_ticket(ticket_id, created, moment)

    def _date_ticket(self, ticket_id: int, created: datetime, updated: datetime) -> None:
        self.session.execute(
            update(Ticket)
            .where(Ticket.id == ticket_id)
            .values(created_at=created, updated_at=updated)
        )
        self.session.execute(
            update(TicketEvent)
            .where(TicketEvent.ticket_id == ticket_id, TicketEvent.kind == "created")
            .values(created_at=created)
        )

    def _leads(self, people: list[Customer]) -> None:
        for customer in people:
            if customer.lifecycle_stage == "lead":
                self._lead(customer, self.rng.choice(("new", "contacted")))
            elif customer.lifecycle_stage == "opportunity":
                self._lead(customer, "qualified")
            elif customer.lifecycle_stage == "customer" and self.rng.random() < 0.05:
                self._lead(customer, self.rng.choice(("won", "lost")))

    def _lead(self, customer: Customer, status: str, interest: str | None = None) -> None:
        owner = self.sales[self._next_sales % len(self.sales)]
        self._next_sales += 1
        account = customer.account
        self.session.add(
            Lead(
                customer_id=customer.id,
                account_id=customer.account_id,
                company=account.name if account is not None else None,
                interest=interest or self.rng.choice(words.LEAD_INTERESTS),
                status=status,
                owner_staff_id=owner.id,
                source_channel=self.rng.choice(("web", "email", "sms")),
                created_at=self._ago(self.rng.uniform(1, 120)),
            )
        )
        self.counts["leads"] = self.counts.get("leads", 0) + 1

    def _conversations(self, customers: list[Customer]) -> None:
        for customer in customers:
            identity = self.session.scalars(
                select(Identity).where(Identity.customer_id == customer.id).order_by(Identity.id)
            ).first()
            if identity is None:
                continue
            start = self._ago(self.rng.uniform(1, 150))
            turns = self.rng.randint(1, 3)
            conversation = Conversation(
                customer_id=customer.id,
                identity_id=identity.id,
                channel=identity.channel,
                status="resolved",
                last_seq=2 * turns,
                created_at=start,
                updated_at=start + timedelta(minutes=2 * turns),
                resolved_at=start + timedelta(minutes=2 * turns),
            )
            self.session.add(conversation)
            self.session.flush()
            for seq in range(1, 2 * turns + 1):
                inbound = seq % 2 == 1
                self.session.add(
                    Interaction(
                        conversation_id=conversation.id,
                        customer_id=customer.id,
                        seq=seq,
                        direction="in" if inbound else "out",
                        author="customer" if inbound else "bot",
                        channel=identity.channel,
                        text=self.rng.choice(words.CUSTOMER_LINES if inbound else words.BOT_LINES),
                        delivery_status=None if inbound else "sent",
                        created_at=start + timedelta(minutes=seq),
                    )
                )
            self.counts["interactions"] = self.counts.get("interactions", 0) + 2 * turns
            self.counts["conversations"] = self.counts.get("conversations", 0) + 1

    def _ago(self, days: float) -> datetime:
        return self.now - timedelta(days=days)

    def _fictional_phones(self) -> Iterator[str]:
        for area in (*words.AREA_CODES, "415"):
            for line in range(100, 200):
                phone = f"+1{area}5550{line}"
                if phone not in FIXED_PHONES:
                    yield phone
