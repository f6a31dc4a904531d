"""The Gamma-Gamma model of spend per purchase (Fader, Hardie and Lee, "RFM and CLV:
Using Iso-Value Curves for Customer Base Analysis", JMR 2005; Fader and Hardie, "The
Gamma-Gamma Model of Monetary Value", 2013).

A customer's purchases have values gamma-distributed around their own mean (shape p,
scale nu), and nu is gamma-distributed across customers (q, gamma). It is fitted on the
repeat purchases of repeat customers only: the mean value of x purchases (z-bar) is
gamma(p x, nu x). The model assumes a customer's spend does not depend on how often
they buy; `spend_frequency_correlation` measures that on the data it is fitted to.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.special import gammaln

from analytics.clv.histories import PurchaseHistories
from analytics.clv.maximum_likelihood import MaximumLikelihood, maximise_log_likelihood
from analytics.errors import NotEnoughData

__all__ = [
    "GammaGamma",
    "expected_average_spend",
    "fit_gamma_gamma",
    "log_likelihoods",
    "spend_frequency_correlation",
]

STARTS = ((1.0, 1.0, 1.0), (5.0, 3.0, 10.0), (0.5, 5.0, 50.0), (10.0, 2.0, 2.0))
# Below this many repeat customers the three parameters are not worth fitting.
MIN_REPEATERS = 10


@dataclass(frozen=True)
class GammaGamma:
    p: float
    q: float
    gamma: float

    @property
    def population_mean_spend(self) -> float:
        """E[Z] across customers: p gamma / (q - 1), finite only when q > 1."""
        return self.p * self.gamma / (self.q - 1) if self.q > 1 else float("inf")


def spenders(h: PurchaseHistories) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """(x, z-bar) of the repeat customers with a positive mean spend."""
    keep = (h.frequency > 0) & (h.mean_spend > 0)
    return h.frequency[keep], h.mean_spend[keep]


def log_likelihoods(model: GammaGamma, h: PurchaseHistories) -> NDArray[np.float64]:
    """Each repeat customer's log-likelihood of their mean spend (z-bar given x)."""
    p, q, g = model.p, model.q, model.gamma
    x, z = spenders(h)
    return (
        gammaln(p * x + q)
        - gammaln(p * x)
        - gammaln(q)
        + q * np.log(g)
        + (p * x - 1) * np.log(z)
        + p * x * np.log(x)
        - (p * x + q) * np.log(g + x * z)
    )


def fit_gamma_gamma(h: PurchaseHistories) -> tuple[GammaGamma, MaximumLikelihood]:
    repeaters = int(np.sum((h.frequency > 0) & (h.mean_spend > 0)))
    if repeaters < MIN_REPEATERS:
        raise NotEnoughData(
            f"{repeaters} repeat customers with spend; the spend model needs {MIN_REPEATERS}"
        )

    _, spends = spenders(h)
    if np.ptp(spends) <= 1e-9 * spends.max():
        # One price for everything: the likelihood grows without bound as p -> infinity.
        raise NotEnoughData("every repeat customer's mean spend is the same: nothing to fit")

    def total(parameters: NDArray[np.float64]) -> float:
        return float(np.sum(log_likelihoods(GammaGamma(*parameters), h)))

    found = maximise_log_likelihood(total, STARTS)
    return GammaGamma(*found.parameters), found


def expected_average_spend(model: GammaGamma, h: PurchaseHistories) -> NDArray[np.float64]:
    """E[spend per purchase | history]: a weighted mean of the customer's own z-bar and
    the population mean, the weight on their own growing with x. Customers without a
    repeat purchase get the population mean (their first purchase is not used, as in
    the fit)."""
    p, q, g = model.p, model.q, model.gamma
    x = h.frequency
    own = np.where(x > 0, h.mean_spend, 0.0)
    return p * (g + x * own) / (p * x + q - 1)


def spend_frequency_correlation(h: PurchaseHistories) -> float:
    """Pearson correlation of x and z-bar among repeat customers (nan with fewer than 3)."""
    x, z = spenders(h)
    if x.size < 3 or np.std(x) == 0 or np.std(z) == 0:
        return float("nan")
    return float(np.corrcoef(x, z)[0, 1])
