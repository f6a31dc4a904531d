"""Ready-made customer segments from the RFM scores (1-5; see analytics/rfm.py) and the
store's at-risk threshold (analytics/lifecycle.py).

Checked in this order, and a customer is in the first that fits (so the segments do
not overlap and their sizes add up):

- champions: bought recently, often and much: R >= 4, F >= 4 and M >= 4, not silent
- new: one purchase, and a recent one: R >= 4 and exactly one order, not silent
- at_risk: used to buy often, not lately: silent and F >= 3
- hibernating: neither recent nor frequent: silent and F <= 2

"Silent" is the lifecycle stage's own test: no purchase for at least the at-risk
threshold (the stage at_risk or lapsed). Decided: R alone ranks a buyer against the
rest of the base, so in a base where most bought once long ago a customer silent for
four months scored R = 4 and was a "champion" while their stage said `lapsed`, and a
summary or a segment preview showed both. With "lately" meaning what the stage means,
a refit never puts a buyer the stage calls at risk or lapsed among the champions or
the new, nor one it calls customer or repeat among at_risk or hibernating.

Customers who never bought, and buyers in the middle, are in none.
"""

from __future__ import annotations

__all__ = ["SEGMENTS", "SEGMENT_MEANINGS", "segment_of"]

SEGMENTS = ("champions", "new", "at_risk", "hibernating")
# What each means, as the dashboard and the API label it.
SEGMENT_MEANINGS = {
    "champions": "bought recently, often and much (RFM 4+ each), not silent",
    "new": "one purchase, recent (R 4+), not silent",
    "at_risk": "used to buy often (F 3+), silent past the at-risk threshold",
    "hibernating": "bought rarely (F 1-2), silent past the at-risk threshold",
}


def segment_of(
    recency: int | None, frequency: int | None, monetary: int | None, orders: int, *, silent: bool
) -> str | None:
    """The segment of a buyer with these scores; `silent`: no purchase for at least the
    at-risk threshold (the stage at_risk or lapsed)."""
    if recency is None or frequency is None or monetary is None:
        return None
    if silent:
        return "at_risk" if frequency >= 3 else "hibernating"
    if recency >= 4 and frequency >= 4 and monetary >= 4:
        return "champions"
    if recency >= 4 and orders == 1:
        return "new"
    return None
