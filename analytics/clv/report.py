"""The fit report: what was fitted, on what, with which result, and the checks a reader
should see before trusting the figures. Stored as JSON (`model_fits.report`) and
printed by `switchboard analytics refit|report`."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

from analytics.clv.maximum_likelihood import MaximumLikelihood

__all__ = ["Check", "ClvFitReport", "ModelFitSummary", "render_clv_report"]


@dataclass(frozen=True)
class Check:
    name: str
    passed: bool
    detail: str


@dataclass(frozen=True)
class ModelFitSummary:
    parameters: dict[str, float]
    log_likelihood: float
    converged: bool
    starts: int
    starts_reaching_best: int
    evaluations: int
    seconds: float
    at_edge: list[str]

    @classmethod
    def of(
        cls, names: tuple[str, ...], found: MaximumLikelihood, seconds: float
    ) -> ModelFitSummary:
        return cls(
            parameters=dict(zip(names, found.parameters, strict=True)),
            log_likelihood=found.log_likelihood,
            converged=found.converged,
            starts=found.starts,
            starts_reaching_best=found.starts_reaching_best,
            evaluations=found.evaluations,
            seconds=seconds,
            at_edge=[names[i] for i in found.at_edge],
        )


@dataclass(frozen=True)
class ClvFitReport:
    fitted_at: str  # ISO 8601, UTC
    calibration_end: str
    customers: int
    repeat_customers: int
    repeat_purchases: int
    bgnbd: ModelFitSummary
    gamma_gamma: ModelFitSummary | None
    spend_frequency_correlation: float | None
    horizon: dict[str, float]
    checks: list[Check] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        """A plain dict for a JSON column (NaN becomes None: JSON has no NaN)."""
        return _finite(asdict(self))


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return value


def render_clv_report(report: dict[str, Any]) -> str:
    """The stored report as text for a terminal."""
    lines = [
        f"lifetime-value fit at {report['fitted_at']} "
        f"on purchases up to {report['calibration_end']}",
        f"  {report['customers']:,} customers, {report['repeat_customers']:,} with repeat "
        f"purchases, {report['repeat_purchases']:,} repeat purchases",
    ]
    for name in ("bgnbd", "gamma_gamma"):
        fit = report.get(name)
        if fit is None:
            lines.append(f"  {name}: not fitted")
            continue
        params = ", ".join(f"{k} = {v:.4g}" for k, v in fit["parameters"].items())
        lines.append(
            f"  {name}: {params}; log-likelihood {fit['log_likelihood']:.1f} "
            f"({fit['starts_reaching_best']}/{fit['starts']} starts reached it, "
            f"{fit['evaluations']} evaluations, {fit['seconds']:.2f} s)"
        )
    h = report["horizon"]
    lines.append(
        f"  value horizon {h['weeks']:g} weeks, discount {h['annual_discount_rate']:.0%} a year, "
        f"margin {h['margin']:g}"
    )
    for check in report["checks"]:
        lines.append(
            f"  [{'ok' if check['passed'] else 'FAILED'}] {check['name']}: {check['detail']}"
        )
    lines.extend(f"  note: {note}" for note in report["notes"])
    return "\n".join(lines)
