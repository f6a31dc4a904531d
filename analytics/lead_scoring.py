"""Lead scoring: the probability that an open lead is won, learned from the store's own
won and lost leads by naive Bayes over the configured fields (analytics/lead_features.py),
as Odoo's predictive lead scoring does, with:

- Laplace smoothing: P(value | won) = (won leads with it + s) / (won leads + s K), K the
  values seen for that field; a value no closed lead had is no evidence (ratio 1);
- a fallback prior for small teams: the win rate is a Beta-smoothed
  (won + w p0) / (closed + w) with a prior rate p0 counted as w leads, and with fewer
  closed leads than `min_closed_leads` every open lead gets that rate and no factors;
- clamped probabilities (default 2% to 98%): a handful of leads must not make anyone
  certain;
- the top factors per lead: the fields whose values moved its log-odds most, with the
  odds ratio P(value | won) / P(value | lost).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from analytics.lead_features import FIELDS, LeadFacts, check_fields

__all__ = ["Factor", "LeadScoringSettings", "NaiveBayes", "Score", "learn"]


@dataclass(frozen=True)
class LeadScoringSettings:
    fields: tuple[str, ...] = tuple(FIELDS)
    smoothing: float = 1.0
    min_closed_leads: int = 20
    prior_win_rate: float = 0.2
    prior_weight: float = 10.0
    lowest: float = 0.02
    highest: float = 0.98
    top_factors: int = 3

    def __post_init__(self) -> None:
        check_fields(self.fields)
        if not 0 < self.lowest < self.highest < 1:
            raise ValueError("clamp needs 0 < lowest < highest < 1")
        if not 0 < self.prior_win_rate < 1 or self.prior_weight < 0 or self.smoothing <= 0:
            raise ValueError("prior rate in (0, 1), weight >= 0, smoothing > 0")


@dataclass(frozen=True)
class Factor:
    field: str
    value: str
    odds_ratio: float  # > 1 raises the chance of winning, < 1 lowers it

    def as_json(self) -> dict[str, object]:
        return {"field": self.field, "value": self.value, "odds_ratio": round(self.odds_ratio, 3)}


@dataclass(frozen=True)
class Score:
    probability: float
    factors: list[Factor] = field(default_factory=list)


@dataclass(frozen=True)
class NaiveBayes:
    settings: LeadScoringSettings
    won: int
    lost: int
    # field -> value -> (won leads with it, lost leads with it)
    counts: dict[str, dict[str, tuple[int, int]]]

    @property
    def closed(self) -> int:
        return self.won + self.lost

    @property
    def falls_back(self) -> bool:
        """Too few closed leads to learn from: the prior win rate for everyone."""
        return self.closed < self.settings.min_closed_leads

    @property
    def win_rate(self) -> float:
        s = self.settings
        return (self.won + s.prior_weight * s.prior_win_rate) / (self.closed + s.prior_weight)

    def log_odds_ratio(self, name: str, value: str) -> float:
        seen = self.counts.get(name, {})
        if value not in seen:
            # Never seen among closed leads: no evidence either way. Smoothing alone
            # would give it (lost + ...) / (won + ...), a push towards whichever
            # outcome is rarer, for a value nobody has data on.
            return 0.0
        won_with, lost_with = seen[value]
        s = self.settings.smoothing
        places = len(seen)
        p_won = (won_with + s) / (self.won + s * places)
        p_lost = (lost_with + s) / (self.lost + s * places)
        return math.log(p_won) - math.log(p_lost)

    def score(self, facts: LeadFacts) -> Score:
        rate = self.win_rate
        if self.falls_back:
            return Score(self._clamp(rate))
        weights = [(name, facts.values[name]) for name in self.settings.fields]
        moves = [(name, value, self.log_odds_ratio(name, value)) for name, value in weights]
        log_odds = math.log(rate / (1 - rate)) + sum(move for *_, move in moves)
        probability = self._clamp(1 / (1 + math.exp(-log_odds)))
        ranked = sorted(moves, key=lambda m: abs(m[2]), reverse=True)[: self.settings.top_factors]
        return Score(probability, [Factor(n, v, math.exp(m)) for n, v, m in ranked if m != 0])

    def _clamp(self, probability: float) -> float:
        return min(self.settings.highest, max(self.settings.lowest, probability))


def learn(closed: Sequence[LeadFacts], settings: LeadScoringSettings | None = None) -> NaiveBayes:
    """Count each field's values among won and lost leads (other statuses are ignored)."""
    settings = settings or LeadScoringSettings()
    counts: dict[str, dict[str, tuple[int, int]]] = {name: {} for name in settings.fields}
    won = lost = 0
    for lead in closed:
        if lead.status not in ("won", "lost"):
            continue
        is_won = lead.status == "won"
        won += is_won
        lost += not is_won
        for name in settings.fields:
            value = lead.values[name]
            w, lo = counts[name].get(value, (0, 0))
            counts[name][value] = (w + is_won, lo + (not is_won))
    return NaiveBayes(settings, won, lost, counts)
