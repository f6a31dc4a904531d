"""Demo tickets with their events, leads with owners, and past conversations."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import select, update

from crm_store.models import (
    Account,
    Conversation,
    Customer,
    Identity,
    Interaction,
    Lead,
    Ticket,
    TicketEvent,
)
from crm_store.records import StaffRecord
from crm_store.tickets import open_ticket
from crm_store.vocabulary import TicketStatus
from demo import data as words
from demo.draw import Draw


class DemoActivity:
    def __init__(self, draw: Draw, staff: Sequence[StaffRecord]) -> None:
        self.draw = draw
        self.agents = [s for s in staff if s.role == "agent"]
        self.sales = [s for s in staff if s.role == "sales"]
        self._next_sales = 0

    def tickets(self, people: list[Customer], accounts: list[Account], count: int) -> None:
        busy = accounts[0]  # a generated account with a rough month: at risk by tickets
        crowd = [c for c in people if c.account_id == busy.id]
        for index in range(count):
            if index < 4:
                customer, age = crowd[index % len(crowd)], self.draw.rng.uniform(1, 20)
            else:
                customer = self.draw.rng.choice(people)
                age = (
                    self.draw.rng.uniform(0.5, 30)
                    if self.draw.rng.random() < 0.15
                    else self.draw.rng.uniform(30, 365)
                )
            ticket = open_ticket(
                self.draw.session,
                customer_id=customer.id,
                subject=self.draw.rng.choice(words.TICKET_SUBJECTS),
                description="Opened from the demo seed.",
                priority=self.draw.rng.choices(
                    ("low", "normal", "high", "urgent"), (20, 55, 20, 5)
                )[0],
                author=self.draw.rng.choice(("bot", "agent")),
            )
            self._ticket_story(ticket.id, age)
        self.draw.count("tickets", count)

    def _ticket_story(self, ticket_id: int, age: float) -> None:
        created = self.draw.ago(age)
        if age < 7:
            status = self.draw.rng.choice(
                (TicketStatus.OPEN, TicketStatus.OPEN, TicketStatus.PENDING)
            )
        elif age < 30:
            status = self.draw.rng.choices((TicketStatus.OPEN, TicketStatus.SOLVED), (30, 70))[0]
        else:
            status = self.draw.rng.choices((TicketStatus.SOLVED, TicketStatus.CLOSED), (40, 60))[0]
        agent = self.draw.rng.choice(self.agents)
        steps = [("assigned", {"from": None, "to": agent.id}, "")]
        steps.append(("comment", {}, "Thanks for the details, looking into it now."))
        if status != TicketStatus.OPEN:
            steps.append(("status_changed", {"from": TicketStatus.OPEN, "to": status}, ""))
        moment = created
        for kind, data, body in steps:
            moment = min(self.draw.now, moment + timedelta(hours=self.draw.rng.uniform(0.5, 30)))
            self.draw.session.add(
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
        self.draw.session.execute(
            update(Ticket)
            .where(Ticket.id == ticket_id)
            .values(status=status, assigned_staff_id=agent.id)
        )
        self.date_ticket(ticket_id, created, moment)

    def date_ticket(self, ticket_id: int, created: datetime, updated: datetime) -> None:
        self.draw.session.execute(
            update(Ticket)
            .where(Ticket.id == ticket_id)
            .values(created_at=created, updated_at=updated)
        )
        self.draw.session.execute(
            update(TicketEvent)
            .where(TicketEvent.ticket_id == ticket_id, TicketEvent.kind == "created")
            .values(created_at=created)
        )

    def leads(self, people: list[Customer]) -> None:
        for customer in people:
            if customer.lifecycle_stage == "lead":
                self.lead(customer, self.draw.rng.choice(("new", "contacted")))
            elif customer.lifecycle_stage == "opportunity":
                self.lead(customer, "qualified")
            elif customer.lifecycle_stage == "customer" and self.draw.rng.random() < 0.05:
                self.lead(customer, self.draw.rng.choice(("won", "lost")))

    def next_owner(self) -> StaffRecord:
        """The salesperson the next lead goes to (round robin, as the lead form does)."""
        owner = self.sales[self._next_sales % len(self.sales)]
        self._next_sales += 1
        return owner

    def lead(self, customer: Customer, status: str, interest: str | None = None) -> None:
        owner = self.next_owner()
        account = customer.account
        self.draw.session.add(
            Lead(
                customer_id=customer.id,
                account_id=customer.account_id,
                company=account.name if account is not None else None,
                interest=interest or self.draw.rng.choice(words.LEAD_INTERESTS),
                status=status,
                owner_staff_id=owner.id,
                source_channel=self.draw.rng.choice(("web", "email", "sms")),
                created_at=self.draw.ago(self.draw.rng.uniform(1, 120)),
            )
        )
        self.draw.count("leads")

    def conversations(self, customers: list[Customer]) -> None:
        for customer in customers:
            identity = self.draw.session.scalars(
                select(Identity).where(Identity.customer_id == customer.id).order_by(Identity.id)
            ).first()
            if identity is None:
                continue
            start = self.draw.ago(self.draw.rng.uniform(1, 150))
            turns = self.draw.rng.randint(1, 3)
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
            self.draw.session.add(conversation)
            self.draw.session.flush()
            for seq in range(1, 2 * turns + 1):
                inbound = seq % 2 == 1
                self.draw.session.add(
                    Interaction(
                        conversation_id=conversation.id,
                        customer_id=customer.id,
                        seq=seq,
                        direction="in" if inbound else "out",
                        author="customer" if inbound else "bot",
                        channel=identity.channel,
                        text=self.draw.rng.choice(
                            words.CUSTOMER_LINES if inbound else words.BOT_LINES
                        ),
                        delivery_status=None if inbound else "sent",
                        created_at=start + timedelta(minutes=seq),
                    )
                )
            self.draw.count("interactions", 2 * turns)
            self.draw.count("conversations")
