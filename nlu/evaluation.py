"""Intent evaluation: accuracy, macro F1, per-intent F1 and the top confusions,
as a JSON-serialisable report."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass

from sklearn.metrics import accuracy_score, f1_score

__all__ = ["EvaluationReport", "evaluate_intents"]


@dataclass(frozen=True)
class EvaluationReport:
    examples: int
    accuracy: float
    macro_f1: float
    per_intent_f1: dict[str, float]
    top_confusions: list[dict[str, object]]  # {"expected", "predicted", "count"}

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def evaluate_intents(
    expected: Sequence[str], predicted: Sequence[str], top: int = 10
) -> EvaluationReport:
    labels = sorted(set(expected))
    per_intent = f1_score(expected, predicted, labels=labels, average=None, zero_division=0)
    confusions = Counter((e, p) for e, p in zip(expected, predicted, strict=True) if e != p)
    return EvaluationReport(
        examples=len(expected),
        accuracy=float(accuracy_score(expected, predicted)) if expected else 0.0,
        macro_f1=float(
            f1_score(expected, predicted, labels=labels, average="macro", zero_division=0)
        ),
        per_intent_f1=dict(zip(labels, map(float, per_intent), strict=True)),
        top_confusions=[
            {"expected": e, "predicted": p, "count": n} for (e, p), n in confusions.most_common(top)
        ],
    )
