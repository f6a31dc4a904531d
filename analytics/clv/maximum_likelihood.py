"""Maximum likelihood from several starting points, in log-parameters.

The parameters of both models are positive; optimising their logarithms keeps them so
without bounds, and puts parameters of very different sizes (BG/NBD's alpha is about
20 times its r) on one scale for the optimiser. Several starts guard against a local
optimum or an optimiser stopping early on a flat ridge; the report keeps how far the
starts' best log-likelihoods landed from each other, so a fit whose starts disagree
can say so.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import minimize

__all__ = ["MaximumLikelihood", "maximise_log_likelihood"]

# The starts disagree when their optima are further apart than this (log-likelihood units).
STARTS_AGREE_WITHIN = 0.01


@dataclass(frozen=True)
class MaximumLikelihood:
    parameters: tuple[float, ...]
    log_likelihood: float
    converged: bool
    starts: int
    starts_reaching_best: int
    message: str


def maximise_log_likelihood(
    log_likelihood: Callable[[NDArray[np.float64]], float],
    starts: Sequence[Sequence[float]],
) -> MaximumLikelihood:
    """The parameters with the highest `log_likelihood` (a function of the parameters
    themselves, summed over customers) found from each of `starts`."""
    results = []
    for start in starts:

        def negative(log_parameters: NDArray[np.float64]) -> float:
            value = log_likelihood(np.exp(log_parameters))
            return -value if np.isfinite(value) else np.inf

        first = minimize(
            negative,
            np.log(np.asarray(start, dtype=float)),
            method="Nelder-Mead",
            options={"xatol": 1e-8, "fatol": 1e-10, "maxiter": 4_000},
        )
        # A gradient method from the simplex's answer polishes the last digits.
        polished = minimize(negative, first.x, method="BFGS", options={"gtol": 1e-6})
        best = polished if polished.fun <= first.fun else first
        converged = bool(first.success or polished.success)
        said = polished.message if polished.success else first.message
        results.append((best, converged, str(said)))
    values = np.array([result.fun for result, _, _ in results])
    winner, converged, said = results[int(np.argmin(values))]
    return MaximumLikelihood(
        parameters=tuple(float(v) for v in np.exp(winner.x)),
        log_likelihood=float(-winner.fun),
        converged=converged,
        starts=len(results),
        starts_reaching_best=int(np.sum(values - values.min() <= STARTS_AGREE_WITHIN)),
        message=said,
    )
