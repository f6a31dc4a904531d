"""Ready-made customer segments from the RFM scores (1-5; see analytics/rfm.py).

Checked in this order, and a customer is in the first that fits (so the segments do
not overlap and their sizes add up):

- champions: bought recently, often and much: R >= 4, F >= 4 and M >= 4
- new: one purchase, and a recent one: R >= 4 and exactly one order
- at_risk: used to buy often, not lately: R <= 2 and F >= 3
- hibernating: neither recent nor frequent: R <= 2 and F <= 2

Customers who never bought, and buyers in the middle, are in none.
"""

from __future__ import annotations

__all__ = ["SEGMENTS", "segment_of"]

SEGMENTS = ("champions", "new", "at_risk", "hibernating")


def segment_of(
    recency: int | None, frequency: int | None, monetary: int | None, orders: int
) -> str | None:
    if recency is None or frequency is None or monetary is None:
        return None
    if recency >= 4 and frequency >= 4 and monetary >= 4:
        return "champions"
    if recency >= 4 and orders == 1:
        return "new"
    if recency <= 2 and frequency >= 3:
        return "at_risk"
    if recency <= 2 and frequency <= 2:
        return "hibernating"
    return None
