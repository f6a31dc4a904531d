"""Two years of buying and selling for the demo, shaped like a real shop's, so the
dashboard's RFM grid, lifetime values and lead scores have something to show.

Orders: every buyer joins at some point in the last two years and buys at their own
pace until they drop out, as the BG/NBD model assumes: many buy once, some a few times
and stop (lapsed), a few come back every few weeks (champions). Churned customers
stopped more than a year ago.

Closed leads: won and lost over the two years, from every channel, with a chance of
winning that depends on what a salesperson knows when the lead comes in (the channel,
whether a company was given, the customer's purchases before), so lead scoring has a
signal to learn and its calibration table means something.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import timedelta

from crm_store.models import Customer, Lead
from demo import data as words
from demo.activity import DemoActivity
from demo.draw import Draw
from demo.orders import DemoOrders

__all__ = ["SalesHistory"]

DAYS = 730.0
MIN_ORDERS = 2000
CLOSED_LEADS = 160

# (share of buyers, mean days between purchases, mean days until they drop out)
_KINDS = (
    (0.42, None, 0.0),  # buy once
    (0.26, 75.0, 160.0),  # a few purchases, then gone
    (0.22, 30.0, 900.0),  # regulars
    (0.10, 10.0, 5000.0),  # champions
)
# The log-odds a closed lead was won, by what was known when it came in.
_CHANNEL_ODDS = {"web": 0.5, "email": 0.0, "sms": -0.9}


class SalesHistory:
    def __init__(self, draw: Draw, orders: DemoOrders, activity: DemoActivity) -> None:
        self.draw = draw
        self.orders = orders
        self.activity = activity
        self.bought: dict[int, list[float]] = {}  # customer id -> ages (days) of purchases

    def buying(self, buyers: Sequence[Customer]) -> None:
        """Orders for every buyer by their kind, topped up by the most frequent buyers
        until there are at least `MIN_ORDERS`."""
        rng = self.draw.rng
        frequent: list[tuple[Customer, float, float]] = []
        made = 0
        for customer in buyers:
            _, gap, life = rng.choices(_KINDS, weights=[k[0] for k in _KINDS])[0]
            if customer.lifecycle_stage == "churned":
                joined = rng.uniform(450, DAYS)
                end = max(400.0, joined - rng.uniform(10, 300))
            else:
                joined = DAYS * rng.random() ** 0.8  # more buyers joined lately
                end = max(0.1, joined - rng.expovariate(1 / life)) if life else joined
            ages = [joined]
            if gap is not None:
                age = joined - rng.expovariate(1 / gap)
                while age > end:
                    ages.append(age)
                    age -= rng.expovariate(1 / gap)
                if life > 1000:
                    frequent.append((customer, gap, end))
            for age in ages:
                self._order(customer, age)
            made += len(ages)
        while made < MIN_ORDERS and frequent:
            customer, gap, end = rng.choice(frequent)
            self._order(customer, rng.uniform(end, DAYS * 0.9))
            made += 1

    def _order(self, customer: Customer, age: float) -> None:
        self.bought.setdefault(customer.id, []).append(age)
        self.orders.order(customer, self.orders.new_number(), self.orders.status_at(age), age)

    def closed_leads(self, people: Sequence[Customer]) -> None:
        """`CLOSED_LEADS` won and lost leads opened over the two years."""
        rng = self.draw.rng
        for _ in range(CLOSED_LEADS):
            customer = rng.choice(people)
            age = rng.uniform(20, DAYS)
            channel = rng.choices(("web", "email", "sms"), (50, 30, 20))[0]
            company = customer.account.name if customer.account and rng.random() < 0.8 else None
            before = sum(1 for bought in self.bought.get(customer.id, ()) if bought > age)
            odds = -1.0 + _CHANNEL_ODDS[channel] + (0.9 if company else -0.4)
            odds += 1.2 if before >= 2 else 0.5 if before == 1 else 0.0
            won = rng.random() < 1 / (1 + math.exp(-odds))
            opened = self.draw.ago(age)
            self.draw.session.add(
                Lead(
                    customer_id=customer.id,
                    account_id=customer.account_id,
                    company=company,
                    interest=rng.choice(words.LEAD_INTERESTS),
                    status="won" if won else "lost",
                    owner_staff_id=self.activity.next_owner().id,
                    source_channel=channel,
                    created_at=opened,
                    updated_at=opened + timedelta(days=rng.uniform(3, min(60, age))),
                )
            )
            self.draw.count("leads")
