"""A won/lost lead history with a known truth, for the lead-scoring tests: the chance of
winning depends on the lead's channel only (`WIN_RATES`); owners are assigned at
random; every won lead's customer orders after the lead was opened (the win), which a
model that leaked the outcome would seize on."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from crm_store.models import Customer, Lead, Order, StaffUser

WIN_RATES = {"web": 0.6, "email": 0.35, "sms": 0.1}


def add_sales_staff(session: Session, count: int) -> list[int]:
    people = [
        StaffUser(name=f"Sales {i}", email=f"sales{i}@x.test", role="sales", api_token_hash=f"h{i}")
        for i in range(count)
    ]
    session.add_all(people)
    session.flush()
    return [person.id for person in people]


def add_lead(
    session: Session, *, channel: str, status: str, opened: datetime, owner: int | None
) -> int:
    customer = Customer(attributes={})
    session.add(customer)
    session.flush()
    row = Lead(
        customer_id=customer.id,
        source_channel=channel,
        status=status,
        owner_staff_id=owner,
        company="Initech",
        created_at=opened,
    )
    session.add(row)
    if status == "won":
        session.add(
            Order(
                number=f"W{customer.id}",
                customer_id=customer.id,
                total_cents=90_000,
                placed_at=opened + timedelta(days=20),
            )
        )
    session.flush()
    return row.id


def synthetic_history(
    session: Session, *, closed: int, start: datetime, seed: int = 1
) -> dict[str, int]:
    """`closed` won or lost leads, one every six hours from `start`; returns the won
    count per channel."""
    rng = random.Random(seed)
    owners = add_sales_staff(session, 3)
    won: dict[str, int] = dict.fromkeys(WIN_RATES, 0)
    for i in range(closed):
        channel = rng.choice(list(WIN_RATES))
        is_won = rng.random() < WIN_RATES[channel]
        won[channel] += is_won
        add_lead(
            session,
            channel=channel,
            status="won" if is_won else "lost",
            opened=start + timedelta(hours=6 * i),
            owner=rng.choice(owners),
        )
    return won
