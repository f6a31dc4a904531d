"""Customer lifetime value: BG/NBD for repeat purchases, Gamma-Gamma for spend, both by
maximum likelihood (numpy/scipy), and each customer's discounted expected value."""

from analytics.clv.bgnbd import BgNbd, expected_purchases, fit_bgnbd, probability_alive
from analytics.clv.fit import CustomerValues, LifetimeValueFit, fit_lifetime_value
from analytics.clv.gamma_gamma import GammaGamma, expected_average_spend, fit_gamma_gamma
from analytics.clv.histories import PurchaseHistories, histories_from_purchases
from analytics.clv.report import render_clv_report
from analytics.clv.value import ValueHorizon, lifetime_value

__all__ = [
    "BgNbd",
    "CustomerValues",
    "GammaGamma",
    "LifetimeValueFit",
    "PurchaseHistories",
    "ValueHorizon",
    "expected_average_spend",
    "expected_purchases",
    "fit_bgnbd",
    "fit_gamma_gamma",
    "fit_lifetime_value",
    "histories_from_purchases",
    "lifetime_value",
    "probability_alive",
    "render_clv_report",
]
