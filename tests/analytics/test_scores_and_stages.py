"""RFM quintile scores, lifecycle thresholds and stages, segments: pure functions."""

from __future__ import annotations

import numpy as np
import pytest

from analytics.lifecycle import LifecycleThresholds, suggest_stage, thresholds_from
from analytics.rfm import quintile_scores
from analytics.segments import segment_of


def test_quintiles_split_distinct_values_evenly() -> None:
    scores = quintile_scores(np.arange(100.0))
    assert [int(np.sum(scores == s)) for s in range(1, 6)] == [20] * 5
    assert scores[0] == 1 and scores[-1] == 5


def test_equal_values_share_a_score() -> None:
    """60% bought once: they all score 1, and the repeat buyers start above them."""
    orders = np.array([1.0] * 60 + [2.0] * 20 + [3.0] * 10 + [8.0] * 10)
    scores = quintile_scores(orders)
    assert set(scores[:60]) == {1}
    assert set(scores[60:80]) == {4}
    assert set(scores[80:90]) == {5} and set(scores[90:]) == {5}


def test_recency_scores_the_most_recent_highest() -> None:
    scores = quintile_scores(np.array([1.0, 10.0, 100.0, 1000.0, 5000.0]), higher_is_better=False)
    assert list(scores) == [5, 4, 3, 2, 1]


def test_thresholds_come_from_the_base_s_own_purchase_intervals() -> None:
    gaps = np.arange(1.0, 101.0)  # 1..100 days
    learned = thresholds_from(gaps)
    assert learned.at_risk_after_days == pytest.approx(np.quantile(gaps, 0.8))
    assert learned.lapsed_after_days == pytest.approx(np.quantile(gaps, 0.95))
    assert learned.learned_from_intervals == 100
    assert thresholds_from(gaps, at_risk_after_days=30).at_risk_after_days == 30
    few = thresholds_from(np.array([5.0, 9.0]))
    assert (few.at_risk_after_days, few.lapsed_after_days, few.learned_from_intervals) == (
        90,
        180,
        0,
    )
    with pytest.raises(ValueError):
        LifecycleThresholds(50, 40, 0)


def test_stage_suggestions_follow_the_purchases() -> None:
    t = LifecycleThresholds(at_risk_after_days=60, lapsed_after_days=120, learned_from_intervals=0)
    assert suggest_stage(0, None, has_lead=True, t=t) == "lead"
    assert suggest_stage(0, None, has_lead=False, t=t) is None
    assert suggest_stage(1, 10, has_lead=True, t=t) == "customer"
    assert suggest_stage(3, 10, has_lead=False, t=t) == "repeat"
    assert suggest_stage(3, 60, has_lead=False, t=t) == "at_risk"
    assert suggest_stage(1, 200, has_lead=False, t=t) == "lapsed"


def test_segments_do_not_overlap_and_follow_their_definitions() -> None:
    assert segment_of(5, 5, 4, orders=9, silent=False) == "champions"
    assert segment_of(5, 1, 1, orders=1, silent=False) == "new"
    assert segment_of(1, 4, 2, orders=4, silent=True) == "at_risk"
    assert segment_of(2, 1, 5, orders=1, silent=True) == "hibernating"
    assert segment_of(3, 3, 3, orders=2, silent=False) is None
    assert segment_of(None, None, None, orders=0, silent=False) is None


def test_a_segment_agrees_with_the_stage_on_whether_a_buyer_is_silent() -> None:
    """Scores rank a buyer against the base; silence is the store's own threshold, the
    stage's: a top-scored buyer silent past it is at risk, never a champion, and a
    low-recency one still within it is in no silent segment."""
    assert segment_of(5, 5, 5, orders=12, silent=True) == "at_risk"
    assert segment_of(4, 1, 1, orders=1, silent=True) == "hibernating"
    assert segment_of(1, 4, 4, orders=6, silent=False) is None
    assert segment_of(2, 1, 1, orders=1, silent=False) is None
