"""The BG/NBD model of repeat purchases (Fader, Hardie and Lee, "Counting Your
Customers the Easy Way", Marketing Science 24(2), 2005).

While alive, a customer buys at a Poisson rate lambda (gamma-distributed across
customers: shape r, rate alpha); after each purchase they drop out with probability p
(beta-distributed: a, b). The formulas below are the paper's equations (6), (9), (10)
and (A2) written in log space: gamma and beta functions as `gammaln`/`betaln`, sums of
terms by `logaddexp`, so long histories (large x) do not overflow.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.special import betaln, gammaln, hyp2f1

from analytics.clv.histories import PurchaseHistories
from analytics.clv.maximum_likelihood import MaximumLikelihood, maximise_log_likelihood

__all__ = [
    "BgNbd",
    "expected_purchases",
    "expected_purchases_of_new_customer",
    "fit_bgnbd",
    "log_likelihoods",
    "probability_alive",
]

# Starting points (r, alpha, a, b): the paper's neighbourhood and far from it.
STARTS = ((1.0, 1.0, 1.0, 1.0), (0.1, 10.0, 0.5, 5.0), (2.0, 0.5, 3.0, 0.5), (0.5, 50.0, 2.0, 10.0))


@dataclass(frozen=True)
class BgNbd:
    r: float
    alpha: float
    a: float
    b: float


def log_likelihoods(model: BgNbd, h: PurchaseHistories) -> NDArray[np.float64]:
    """Each customer's log-likelihood (equation 6)."""
    r, alpha, a, b = model.r, model.alpha, model.a, model.b
    x, t_x, age = h.frequency, h.recency, h.age
    common = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
    still_alive = betaln(a, b + x) - betaln(a, b) - (r + x) * np.log(alpha + age)
    repeat = x > 0
    # Dropped out right after the last purchase: only possible after a repeat purchase.
    dropped = np.full_like(x, -np.inf)
    dropped[repeat] = (
        betaln(a + 1, b + x[repeat] - 1)
        - betaln(a, b)
        - (r + x[repeat]) * np.log(alpha + t_x[repeat])
    )
    return common + np.logaddexp(still_alive, dropped)


def fit_bgnbd(h: PurchaseHistories) -> tuple[BgNbd, MaximumLikelihood]:
    """Maximum-likelihood parameters for these histories.

    Customers with the same (x, t_x, T) have the same likelihood, so each distinct
    history is computed once and counted as often as it occurs: every one-time buyer
    whose first purchase was on the same day is one row (in a store, most customers)."""
    distinct, counts = _distinct_histories(h)

    def total(parameters: NDArray[np.float64]) -> float:
        return float(np.dot(counts, log_likelihoods(BgNbd(*parameters), distinct)))

    found = maximise_log_likelihood(total, STARTS)
    return BgNbd(*found.parameters), found


def _distinct_histories(h: PurchaseHistories) -> tuple[PurchaseHistories, NDArray[np.float64]]:
    rows = np.column_stack([h.frequency, h.recency, h.age])
    unique, counts = np.unique(rows, axis=0, return_counts=True)
    return (
        PurchaseHistories(
            customer_ids=np.arange(len(unique), dtype=np.int64),
            frequency=unique[:, 0],
            recency=unique[:, 1],
            age=unique[:, 2],
            mean_spend=np.zeros(len(unique)),
        ),
        counts.astype(float),
    )


def _log_odds_dropped(model: BgNbd, h: PurchaseHistories) -> NDArray[np.float64]:
    """log of  a/(b+x-1) * ((alpha+T)/(alpha+t_x))^(r+x)  for repeaters, -inf otherwise:
    the odds that a customer with this history has dropped out."""
    x = h.frequency
    odds = np.full_like(x, -np.inf)
    repeat = x > 0
    odds[repeat] = (
        np.log(model.a)
        - np.log(model.b + x[repeat] - 1)
        + (model.r + x[repeat])
        * (np.log(model.alpha + h.age[repeat]) - np.log(model.alpha + h.recency[repeat]))
    )
    return odds


def probability_alive(model: BgNbd, h: PurchaseHistories) -> NDArray[np.float64]:
    """P(still a customer | history) (equation A2 of the paper's appendix). One-time
    buyers are alive with probability 1: in BG/NBD a customer can drop out only right
    after a purchase, and their first purchase does not count as one."""
    return np.exp(-np.logaddexp(0.0, _log_odds_dropped(model, h)))


def expected_purchases(model: BgNbd, h: PurchaseHistories, weeks: float) -> NDArray[np.float64]:
    """Expected purchases in the next `weeks` weeks given each history (equation 10)."""
    r, alpha, a, b = model.r, model.alpha, model.a, model.b
    x, age = h.frequency, h.age
    z = weeks / (alpha + age + weeks)
    hyper = hyp2f1(r + x, b + x, a + b + x - 1, z)
    bracket = 1.0 - np.exp((r + x) * np.log((alpha + age) / (alpha + age + weeks))) * hyper
    return (a + b + x - 1) / (a - 1) * bracket * probability_alive(model, h)


def expected_purchases_of_new_customer(
    model: BgNbd, weeks: NDArray[np.float64]
) -> NDArray[np.float64]:
    """Expected repeat purchases in the first `weeks` weeks after a first purchase
    (equation 9): the population curve the cohort forecasts add up."""
    r, alpha, a, b = model.r, model.alpha, model.a, model.b
    weeks = np.asarray(weeks, dtype=float)
    hyper = hyp2f1(r, b, a + b - 1, weeks / (alpha + weeks))
    return (a + b - 1) / (a - 1) * (1.0 - (alpha / (alpha + weeks)) ** r * hyper)
