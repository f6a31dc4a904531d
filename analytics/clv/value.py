"""Expected value of each customer over a horizon, discounted.

value = sum over weeks k = 1..H of  (E[purchases by week k] - E[purchases by week k-1])
        x expected spend per purchase x margin / (1 + weekly rate)^k

The purchases come from BG/NBD given the customer's history, the spend from
Gamma-Gamma; the weekly rate is the annual discount rate compounded weekly. With
`margin` 1 the value is revenue; set it to the gross margin for profit.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from analytics.clv.bgnbd import BgNbd, expected_purchases
from analytics.clv.histories import PurchaseHistories

__all__ = ["ValueHorizon", "lifetime_value"]


@dataclass(frozen=True)
class ValueHorizon:
    """How far ahead value is counted and how it is discounted (settable per refit)."""

    weeks: int = 52
    annual_discount_rate: float = 0.10
    margin: float = 1.0

    @property
    def weekly_discount_rate(self) -> float:
        return (1.0 + self.annual_discount_rate) ** (1.0 / 52.0) - 1.0


def lifetime_value(
    model: BgNbd,
    histories: PurchaseHistories,
    spend_per_purchase: NDArray[np.float64],
    horizon: ValueHorizon,
) -> NDArray[np.float64]:
    """Each customer's discounted expected value over `horizon.weeks` weeks."""
    value = np.zeros(len(histories))
    before = np.zeros(len(histories))
    for week in range(1, horizon.weeks + 1):
        by_now = expected_purchases(model, histories, float(week))
        value += (by_now - before) / (1.0 + horizon.weekly_discount_rate) ** week
        before = by_now
    return value * spend_per_purchase * horizon.margin
