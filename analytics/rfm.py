"""RFM: recency, frequency and monetary value, each scored 1-5 in quintiles of the
customer base (customers with at least one purchase).

- recency: days since the last purchase (fewer is better: the most recent score 5)
- frequency: number of purchases (orders not cancelled or returned)
- monetary: lifetime spend (sum of those orders)

A score is 1 + floor(5 x the share of buyers strictly worse), so equal values always
share a score and the commonest value does not straddle two (decided: a split by rank
would give two customers with one order each different frequency scores). Where most
customers bought once, they all score F = 1 and the scores above start where the
repeat buyers start.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

__all__ = ["quintile_scores", "rfm_scores"]


def quintile_scores(
    values: NDArray[np.float64], *, higher_is_better: bool = True
) -> NDArray[np.int64]:
    """Scores 1-5 by the share of values strictly worse than each one."""
    values = np.asarray(values, dtype=float)
    if values.size == 0:
        return np.zeros(0, dtype=np.int64)
    keyed = values if higher_is_better else -values
    worse = np.searchsorted(np.sort(keyed), keyed, side="left")
    return (1 + np.floor(5 * worse / values.size)).astype(np.int64).clip(1, 5)


def rfm_scores(
    recency_days: NDArray[np.float64],
    frequency: NDArray[np.float64],
    monetary: NDArray[np.float64],
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
    """(R, F, M) scores of buyers, aligned with the inputs."""
    return (
        quintile_scores(recency_days, higher_is_better=False),
        quintile_scores(frequency),
        quintile_scores(monetary),
    )
