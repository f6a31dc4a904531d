"""Do customers differ in what they spend per purchase? The Gamma-Gamma model's answer
is its heterogeneity (q): as q and gamma grow together, every customer's spend level
tends to one value, and the likelihood creeps along a ridge that has no top. Where that
is the truth of the data (a shop whose baskets are drawn alike for everyone, as the
demo's are), the ridge is not a failed fit but a finding: the spend model's own answer
in the limit is "every customer's expected spend is the mean purchase value".

This module fits that limit, one spend level for all (a purchase's value gamma(p, nu)
with nu common to all customers, so z-bar of x purchases is gamma(p x, nu x)), and
compares it with Gamma-Gamma by a likelihood-ratio test. The limit sits on the edge of
Gamma-Gamma's space (1/q = 0), where the ratio statistic is an even mixture of
chi-square with 0 and 1 degrees of freedom (Self and Liang 1987): its 5% critical value
is 2.71, chi-square(1)'s 10% one.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.special import gammaln

from analytics.clv.gamma_gamma import spenders
from analytics.clv.histories import PurchaseHistories
from analytics.clv.maximum_likelihood import maximise_log_likelihood

__all__ = ["DIFFERENCE_CRITICAL_VALUE", "CommonSpend", "fit_common_spend"]

DIFFERENCE_CRITICAL_VALUE = 2.71
STARTS = ((1.0,), (4.0,), (0.5,))


@dataclass(frozen=True)
class CommonSpend:
    p: float
    nu: float
    log_likelihood: float

    @property
    def mean_spend(self) -> float:
        """The mean value of a purchase, the same for every customer: p / nu."""
        return self.p / self.nu


def _log_likelihoods(
    p: float, nu: float, x: NDArray[np.float64], z: NDArray[np.float64]
) -> NDArray[np.float64]:
    shape, rate = p * x, nu * x
    return shape * np.log(rate) - gammaln(shape) + (shape - 1) * np.log(z) - rate * z


def fit_common_spend(h: PurchaseHistories) -> CommonSpend:
    """One spend level for all repeat customers, by maximum likelihood on the same
    (x, z-bar) Gamma-Gamma is fitted to. For a given p the best nu is p sum(x) /
    sum(x z-bar) (its derivative set to zero), so only p is searched; the mean
    purchase value p / nu is then the mean of all repeat purchases, whatever p is."""
    x, z = spenders(h)
    per_unit_p = float(np.sum(x) / np.sum(x * z))

    def total(parameters: NDArray[np.float64]) -> float:
        p = float(parameters[0])
        return float(np.sum(_log_likelihoods(p, p * per_unit_p, x, z)))

    found = maximise_log_likelihood(total, STARTS)
    (p,) = found.parameters
    return CommonSpend(p=p, nu=p * per_unit_p, log_likelihood=found.log_likelihood)
