"""Maximum likelihood from several starting points, in log-parameters.

The parameters of both models are positive; optimising their logarithms keeps them so,
and puts parameters of very different sizes (BG/NBD's alpha is about
20 times its r) on one scale for the optimiser. Several starts guard against a local
optimum or an optimiser stopping early on a flat ridge; the report keeps how far the
starts' best log-likelihoods landed from each other, so a fit whose starts disagree
can say so.

The search stays within 1e-6..1e6 for every parameter. Where the data do not identify
a parameter (spend with no difference between customers sends Gamma-Gamma's q and
gamma towards infinity together), the likelihood keeps creeping up along a ridge until
its terms lose their precision, and a garbage value can look like the best one; inside
the range it stays exact, and a parameter stopped at the edge is reported (`at_edge`).

The optimiser's own linear algebra works on 3x3 and 4x4 matrices; with BLAS threads on,
each of those tiny calls paid for waking a thread pool (10 ms a step on a busy 2-core
machine, against 1 ms with one thread), so the fit runs with BLAS on one thread.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import minimize
from threadpoolctl import threadpool_limits

__all__ = ["MaximumLikelihood", "maximise_log_likelihood"]

# The starts disagree when their optima are further apart than this (log-likelihood units).
STARTS_AGREE_WITHIN = 0.01
LOWEST, HIGHEST = 1e-6, 1e6
LOG_BOUNDS = (float(np.log(LOWEST)), float(np.log(HIGHEST)))


@dataclass(frozen=True)
class MaximumLikelihood:
    parameters: tuple[float, ...]
    log_likelihood: float
    converged: bool
    starts: int
    starts_reaching_best: int
    message: str
    evaluations: int  # passes of the log-likelihood over the data, all starts together
    at_edge: tuple[int, ...]  # positions of parameters stopped at the edge of the range


def maximise_log_likelihood(
    log_likelihood: Callable[[NDArray[np.float64]], float],
    starts: Sequence[Sequence[float]],
) -> MaximumLikelihood:
    """The parameters with the highest `log_likelihood` (a function of the parameters
    themselves, summed over customers) found from each of `starts`."""
    with threadpool_limits(limits=1, user_api="blas"):
        return _maximise(log_likelihood, starts)


def _maximise(
    log_likelihood: Callable[[NDArray[np.float64]], float],
    starts: Sequence[Sequence[float]],
) -> MaximumLikelihood:
    results = []
    passes = [0]
    for start in starts:

        def negative(log_parameters: NDArray[np.float64]) -> float:
            passes[0] += 1
            value = log_likelihood(np.exp(log_parameters))
            return -value if np.isfinite(value) else np.inf

        # L-BFGS-B (finite-difference gradient) takes the fewest passes over the data;
        # where it stops without converging (a flat ridge, an infinite step), the
        # derivative-free simplex carries on from where it stopped.
        bounds = [LOG_BOUNDS] * len(start)
        found = minimize(
            negative, np.log(np.asarray(start, dtype=float)), method="L-BFGS-B", bounds=bounds
        )
        if not found.success or not np.isfinite(found.fun):
            simplex = minimize(
                negative, found.x, method="Nelder-Mead", bounds=bounds, options={"maxiter": 4_000}
            )
            if simplex.fun <= found.fun or not np.isfinite(found.fun):
                found = simplex
        results.append(found)
    values = np.array([result.fun for result in results])
    winner = results[int(np.argmin(values))]
    return MaximumLikelihood(
        parameters=tuple(float(v) for v in np.exp(winner.x)),
        log_likelihood=float(-winner.fun),
        converged=bool(winner.success),
        starts=len(results),
        starts_reaching_best=int(np.sum(values - values.min() <= STARTS_AGREE_WITHIN)),
        message=str(winner.message),
        evaluations=passes[0],
        at_edge=tuple(
            i for i, v in enumerate(winner.x) if min(abs(v - edge) for edge in LOG_BOUNDS) < 0.01
        ),
    )
