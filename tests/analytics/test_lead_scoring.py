"""Naive Bayes lead scores: smoothing, the prior, clamping, factors, refused fields."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pytest

from analytics.lead_calibration import calibrate
from analytics.lead_features import EXCLUDED, FIELDS, LeadFacts
from analytics.lead_scoring import LeadScoringSettings, learn

T0 = datetime(2026, 1, 1, tzinfo=UTC)
ONE_FIELD = LeadScoringSettings(fields=("source_channel",), min_closed_leads=4, prior_weight=0)


def lead(i: int, status: str, **values: str) -> LeadFacts:
    filled = {name: "x" for name in FIELDS} | values
    return LeadFacts(i, status, T0 + timedelta(hours=i), None, filled)


def test_probability_is_naive_bayes_with_laplace_smoothing() -> None:
    closed = [
        lead(1, "won", source_channel="web"),
        lead(2, "won", source_channel="web"),
        lead(3, "won", source_channel="sms"),
        lead(4, "lost", source_channel="sms"),
        lead(5, "lost", source_channel="sms"),
        lead(6, "lost", source_channel="web"),
    ]
    model = learn(closed, ONE_FIELD)
    # P(web | won) = (2 + 1) / (3 + 2), P(web | lost) = (1 + 1) / (3 + 2); prior 3/6.
    expected = (3 / 5 * 0.5) / (3 / 5 * 0.5 + 2 / 5 * 0.5)
    score = model.score(lead(9, "new", source_channel="web"))
    assert score.probability == pytest.approx(expected)
    assert [(f.field, f.value) for f in score.factors] == [("source_channel", "web")]
    assert score.factors[0].odds_ratio == pytest.approx(1.5)
    # A value no closed lead had is no evidence, even where won and lost differ in number.
    assert model.score(lead(10, "new", source_channel="fax")).probability == pytest.approx(0.5)
    lopsided = learn([*closed, lead(7, "lost", source_channel="sms")], ONE_FIELD)
    assert lopsided.score(lead(11, "new", source_channel="fax")).probability == pytest.approx(3 / 7)


def test_a_small_team_gets_the_prior_smoothed_win_rate_and_no_factors() -> None:
    settings = LeadScoringSettings(min_closed_leads=20, prior_win_rate=0.2, prior_weight=10)
    model = learn([lead(1, "won"), lead(2, "won"), lead(3, "lost")], settings)
    assert model.falls_back
    score = model.score(lead(4, "new"))
    assert score.probability == pytest.approx((2 + 10 * 0.2) / (3 + 10))
    assert score.factors == []


def test_probabilities_are_clamped() -> None:
    closed = [lead(i, "won", source_channel="web") for i in range(50)]
    closed += [lead(100 + i, "lost", source_channel="sms") for i in range(50)]
    model = learn(closed, LeadScoringSettings(fields=("source_channel",), lowest=0.05, highest=0.9))
    assert model.score(lead(1, "new", source_channel="web")).probability == 0.9
    assert model.score(lead(2, "new", source_channel="sms")).probability == 0.05


def test_fields_set_after_the_outcome_cannot_be_inputs() -> None:
    for name in EXCLUDED:
        with pytest.raises(ValueError, match="cannot be an input"):
            LeadScoringSettings(fields=("source_channel", name))
    with pytest.raises(ValueError, match="unknown lead field"):
        LeadScoringSettings(fields=("shoe_size",))
    assert not set(EXCLUDED) & set(FIELDS)


def test_top_factors_rank_by_effect() -> None:
    closed = []
    for i in range(40):  # web wins 3 in 4, sms 1 in 4; the owner says nothing
        channel = "web" if i % 2 else "sms"
        won = (i % 4 != 0) if channel == "web" else (i % 4 == 0)
        closed.append(lead(i, "won" if won else "lost", source_channel=channel, owner=f"o{i % 3}"))
    model = learn(closed, LeadScoringSettings(fields=("owner", "source_channel")))
    factors = model.score(lead(99, "new", source_channel="web", owner="o1")).factors
    assert factors[0].field == "source_channel" and factors[0].odds_ratio > 1
    assert abs(math.log(factors[0].odds_ratio)) > abs(math.log(factors[-1].odds_ratio))


def test_calibration_holds_out_the_newest_leads() -> None:
    closed = [
        lead(i, "won" if i % 3 == 0 else "lost", source_channel="web" if i % 3 == 0 else "sms")
        for i in range(80)
    ]
    calibration = calibrate(closed, LeadScoringSettings(fields=("source_channel",)))
    assert calibration is not None
    assert (calibration.trained_on, calibration.held_out) == (60, 20)
    assert calibration.brier < calibration.base_rate_brier and calibration.skill > 0.5
    assert sum(b.leads for b in calibration.reliability) == 20
    assert calibrate(closed[:12], LeadScoringSettings()) is None  # too few to hold out
