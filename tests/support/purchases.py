"""Purchases for the analytics tests: histories simulated from a known BG/NBD process
(so a fit can be checked against the truth), and customers with orders in the store."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
from sqlalchemy.orm import Session

from crm_store.models import Customer, Lead, Order


@dataclass(frozen=True)
class SimulatedBase:
    r: float = 0.5
    alpha: float = 6.0
    a: float = 0.8
    b: float = 3.0


def simulate_purchase_weeks(
    truth: SimulatedBase, customers: int, weeks: float, seed: int = 7
) -> list[list[float]]:
    """Each customer's purchase times in weeks (the first at 0), observed for `weeks`
    weeks: buying at a Poisson rate lambda ~ Gamma(r, alpha) while alive, and dropping
    out after each repeat purchase with probability p ~ Beta(a, b)."""
    rng = np.random.default_rng(seed)
    rates = rng.gamma(truth.r, 1.0 / truth.alpha, customers)
    drops = rng.beta(truth.a, truth.b, customers)
    histories = []
    for rate, drop in zip(rates, drops, strict=True):
        times, now = [0.0], 0.0
        while True:
            now += rng.exponential(1.0 / rate)
            if now > weeks:
                break
            times.append(now)
            if rng.random() < drop:
                break
        histories.append(times)
    return histories


def add_buyer(
    session: Session,
    placed: Sequence[tuple[datetime, int]],
    *,
    status: str = "delivered",
    pending: bool = False,
    lead: bool = False,
) -> int:
    """A customer with an order per (placed at, cents); returns the customer id."""
    customer = Customer(attributes={}, pending=pending)
    session.add(customer)
    session.flush()
    for placed_at, cents in placed:
        session.add(
            Order(
                number=f"T{customer.id}-{placed_at:%Y%m%d%H%M%S%f}",
                customer_id=customer.id,
                status=status,
                total_cents=cents,
                placed_at=placed_at,
            )
        )
    if lead:
        session.add(Lead(customer_id=customer.id, interest="desks"))
    session.flush()
    return customer.id


def weeks_ago(now: datetime, weeks: float) -> datetime:
    return now - timedelta(weeks=weeks)
