"""How far to trust lead scores: trained on the older closed leads, measured on the
newest (held out, by when the lead was opened, so the test is a forecast of leads the
model has not seen, as in use).

- Brier score: mean of (predicted probability - outcome)^2, outcome 1 won, 0 lost.
- Reference: the Brier score of predicting the training leads' win rate for everyone.
  A skill of 1 - Brier / reference above 0 means the fields add something.
- Reliability table: held-out leads binned by predicted probability; within each bin,
  the mean prediction beside the share actually won.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

from analytics.lead_features import LeadFacts
from analytics.lead_scoring import LeadScoringSettings, learn

__all__ = ["Calibration", "ReliabilityBin", "calibrate"]

HELD_OUT_SHARE = 0.25
MIN_HELD_OUT = 10
BINS = 5


@dataclass(frozen=True)
class ReliabilityBin:
    low: float
    high: float
    leads: int
    mean_predicted: float | None
    observed_win_rate: float | None


@dataclass(frozen=True)
class Calibration:
    trained_on: int
    held_out: int
    brier: float
    base_rate_brier: float
    base_rate: float
    reliability: list[ReliabilityBin]

    @property
    def skill(self) -> float:
        return 1 - self.brier / self.base_rate_brier if self.base_rate_brier > 0 else 0.0

    def as_json(self) -> dict[str, object]:
        return asdict(self) | {"skill": self.skill}


def calibrate(
    closed: Sequence[LeadFacts],
    settings: LeadScoringSettings,
    *,
    held_out_share: float = HELD_OUT_SHARE,
) -> Calibration | None:
    """None when there are too few closed leads to hold some out and still learn."""
    ordered = sorted(closed, key=lambda lead: (lead.created_at, lead.lead_id))
    held = round(len(ordered) * held_out_share)
    training, testing = ordered[: len(ordered) - held], ordered[len(ordered) - held :]
    model = learn(training, settings)
    if held < MIN_HELD_OUT or model.falls_back or model.won == 0 or model.lost == 0:
        return None
    outcomes = [1.0 if lead.status == "won" else 0.0 for lead in testing]
    predicted = [model.score(lead).probability for lead in testing]
    base = model.won / model.closed
    return Calibration(
        trained_on=model.closed,
        held_out=len(testing),
        brier=_brier(predicted, outcomes),
        base_rate_brier=_brier([base] * len(outcomes), outcomes),
        base_rate=base,
        reliability=_reliability(predicted, outcomes),
    )


def _brier(predicted: Sequence[float], outcomes: Sequence[float]) -> float:
    return sum((p - o) ** 2 for p, o in zip(predicted, outcomes, strict=True)) / len(outcomes)


def _reliability(predicted: Sequence[float], outcomes: Sequence[float]) -> list[ReliabilityBin]:
    table = []
    for i in range(BINS):
        low, high = i / BINS, (i + 1) / BINS
        inside = [
            (p, o)
            for p, o in zip(predicted, outcomes, strict=True)
            if low <= p < high or (i == BINS - 1 and p == 1.0)
        ]
        table.append(
            ReliabilityBin(
                low=low,
                high=high,
                leads=len(inside),
                mean_predicted=sum(p for p, _ in inside) / len(inside) if inside else None,
                observed_win_rate=sum(o for _, o in inside) / len(inside) if inside else None,
            )
        )
    return table
