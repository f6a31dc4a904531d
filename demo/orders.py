"""Demo orders with statuses by age, carriers and tracking links (who buys when:
demo/sales_history.py)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from crm_store.models import Customer, Order
from demo import data as words
from demo.draw import Draw


class DemoOrders:
    def __init__(self, draw: Draw) -> None:
        self.draw = draw
        self.taken = set(draw.session.scalars(select(Order.number)))

    def claim(self, *numbers: str) -> None:
        """The fixed demo order numbers must be free: they belong to the demo customers."""
        for number in numbers:
            if number in self.taken:
                raise ValueError(f"order {number} exists already: seed an empty store")

    def status_at(self, age: float) -> str:
        """The status an order of that age (days) has by now."""
        if age < 2:
            return "placed"
        if age < 5:
            return self.draw.rng.choice(("processing", "shipped"))
        if age < 12:
            return self.draw.rng.choices(("shipped", "delayed", "delivered"), (75, 15, 10))[0]
        return self.draw.rng.choices(("delivered", "returned", "cancelled"), (88, 5, 7))[0]

    def order(
        self,
        customer: Customer,
        number: str,
        status: str,
        age: float,
        *,
        carrier: str | None = None,
        items: list[int] | None = None,
    ) -> None:
        chosen = items or self.draw.rng.sample(
            range(len(words.CATALOGUE)), self.draw.rng.randint(1, 3)
        )
        lines = [
            {"sku": sku, "name": name, "quantity": qty, "unit_cents": cents}
            for sku, name, cents in (words.CATALOGUE[i] for i in chosen)
            for qty in [self.draw.rng.randint(1, 3)]
        ]
        tracking = None
        if status in ("shipped", "delayed", "delivered", "returned"):
            carrier = carrier or self.draw.rng.choice(list(words.CARRIERS))
            code = f"{self.draw.rng.getrandbits(60):018d}"[:18]
            code = "1Z" + code[:16] if carrier == "UPS" else code
            tracking = words.CARRIERS[carrier].format(code)
        else:
            carrier = None
        placed = self.draw.ago(age)
        account_currency = customer.account.attributes.get("currency") if customer.account else None
        self.taken.add(number)
        self.draw.count("orders")
        self.draw.session.add(
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
                updated_at=min(self.draw.now, placed + timedelta(days=min(age, 6))),
            )
        )

    def new_number(self) -> str:
        while True:
            number = str(self.draw.rng.randint(10_000, 999_999))
            if number not in self.taken:
                return number
