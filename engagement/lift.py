"""How sure a campaign's lift is: a 95% interval for the difference between the
audience's and the holdout's conversion rates.

Holdouts are small (a 10% share of a few hundred customers is a few dozen; the demo's is
6), so the usual interval, the rate difference plus or minus 1.96 standard errors, is
wrong where it matters most: with 0 of 6 held out converted, the holdout adds no width
to it at all. This is Newcombe's hybrid score interval (method 10 of Newcombe, "Interval
estimation for the difference between independent proportions", Statistics in Medicine
17, 1998), built from each group's Wilson score interval, which keeps its coverage near
95% for small groups and rates near 0 or 1.
"""

from __future__ import annotations

from math import sqrt

__all__ = ["Z_95", "lift_interval", "wilson_interval"]

Z_95 = 1.959963984540054  # the standard normal's 97.5th percentile


def wilson_interval(converted: int, customers: int, z: float = Z_95) -> tuple[float, float]:
    """The Wilson score interval of a conversion rate, `converted` of `customers`."""
    if customers <= 0 or not 0 <= converted <= customers:
        raise ValueError(f"{converted} converted of {customers} customers is no rate")
    rate = converted / customers
    shrink = 1 + z * z / customers
    centre = (rate + z * z / (2 * customers)) / shrink
    half = z * sqrt(rate * (1 - rate) / customers + z * z / (4 * customers**2)) / shrink
    return max(0.0, centre - half), min(1.0, centre + half)


def lift_interval(
    audience_converted: int, audience: int, holdout_converted: int, holdout: int
) -> tuple[float, float] | None:
    """The 95% interval of the audience's rate minus the holdout's (as fractions), or
    None when either group is empty."""
    if audience <= 0 or holdout <= 0:
        return None
    treated, held = audience_converted / audience, holdout_converted / holdout
    treated_low, treated_high = wilson_interval(audience_converted, audience)
    held_low, held_high = wilson_interval(holdout_converted, holdout)
    difference = treated - held
    low = difference - sqrt((treated - treated_low) ** 2 + (held_high - held) ** 2)
    high = difference + sqrt((treated_high - treated) ** 2 + (held - held_low) ** 2)
    return low, high
