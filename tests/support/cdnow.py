"""The CDNOW sample (../shared/datasets/cdnow, see its SOURCE.md) read for the lifetime-
value tests and bench/analytics.py: the 2,357 customers' transactions, the calibration
and holdout periods of the papers, and the published figures to compare with."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np

from analytics.clv.histories import PurchaseHistories

DATASET = Path(__file__).resolve().parents[2] / "../shared/datasets/cdnow"
# Weeks 1-39 (1997-01-01 to 1997-09-30) calibrate; weeks 40-78 (to 1998-06-30) hold out.
START = date(1997, 1, 1)
CALIBRATION_END = date(1997, 9, 30)
HOLDOUT_END = date(1998, 6, 30)
HOLDOUT_WEEKS = (HOLDOUT_END - CALIBRATION_END).days / 7


@dataclass(frozen=True)
class Published:
    """Fader, Hardie and Lee (2005) and Fader and Hardie (2013) on this sample."""

    r: float = 0.243
    alpha: float = 4.414
    a: float = 0.793
    b: float = 2.426
    log_likelihood: float = -9582.4
    p: float = 6.25
    q: float = 3.74
    gamma: float = 15.44


PUBLISHED = Published()


def sample_transactions() -> list[tuple[int, date, float]]:
    """(customer id, date, dollars) of every transaction in CDNOW_sample.txt."""
    rows = []
    for line in (DATASET / "CDNOW_sample.txt").read_text().splitlines():
        if line.strip():
            customer, _master_id, day, _cds, dollars = line.split()
            rows.append(
                (int(customer), date(int(day[:4]), int(day[4:6]), int(day[6:])), float(dollars))
            )
    return rows


def published_summary() -> PurchaseHistories:
    """The calibration summary as the dataset ships it (ID, x, t_x, T, zbar)."""
    table = np.loadtxt(
        DATASET / "cdnow_customers_summary_with_transactions.csv", delimiter=",", skiprows=1
    )
    return PurchaseHistories(
        customer_ids=table[:, 0].astype(np.int64),
        frequency=table[:, 1],
        recency=table[:, 2],
        age=table[:, 3],
        mean_spend=table[:, 4],
    )


def holdout_purchases(transactions: list[tuple[int, date, float]]) -> dict[int, int]:
    """Per customer, the purchase days in weeks 40-78 (same-day transactions count once)."""
    days = {(c, d) for c, d, _ in transactions if CALIBRATION_END < d <= HOLDOUT_END}
    counts: dict[int, int] = {}
    for customer, _ in days:
        counts[customer] = counts.get(customer, 0) + 1
    return counts
