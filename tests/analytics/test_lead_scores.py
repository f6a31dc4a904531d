"""Lead scores over the store, on SQLite and PostgreSQL, from a history whose truth is
known: the win rate depends on the channel only."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from analytics.lead_features import lead_facts
from analytics.lead_scores import render_lead_report, score_leads
from analytics.model_fits import LEAD_SCORING, latest_fit
from crm_store import Database
from crm_store.models import LeadScore
from tests.support.lead_history import WIN_RATES, add_lead, synthetic_history

START = datetime(2025, 1, 1, tzinfo=UTC)


def test_scores_learn_the_channel_and_beat_the_base_rate(database: Database) -> None:
    with database.transaction() as session:
        synthetic_history(session, closed=800, start=START)
        later = START + timedelta(days=400)
        open_ids = {
            channel: add_lead(session, channel=channel, status="new", opened=later, owner=None)
            for channel in WIN_RATES
        }
    run = score_leads(database, now=later)
    report = run.report
    assert run.scored == 3 and report["closed_leads"] == 800
    with database.transaction() as session:
        stored = {row.lead_id: row for row in session.scalars(select(LeadScore))}
        assert latest_fit(session, LEAD_SCORING).id == run.fit_id  # type: ignore[union-attr]
    chance = {channel: stored[lead_id].probability for channel, lead_id in open_ids.items()}
    for channel, truth in WIN_RATES.items():
        assert chance[channel] == pytest.approx(truth, abs=0.1), (channel, chance)
    assert stored[open_ids["web"]].factors[0]["field"] == "source_channel"
    assert stored[open_ids["sms"]].factors[0]["odds_ratio"] < 1

    calibration = report["calibration"]
    assert calibration["held_out"] == 200 and calibration["trained_on"] == 600
    assert calibration["brier"] < calibration["base_rate_brier"]
    assert sum(b["leads"] for b in calibration["reliability"]) == 200
    assert "Brier" in render_lead_report(report)


def test_orders_after_the_lead_do_not_leak_into_its_fields(database: Database) -> None:
    """Every won lead's customer ordered after the lead opened: as of the lead, none had."""
    with database.transaction() as session:
        synthetic_history(session, closed=60, start=START)
        facts = lead_facts(session, ("won", "lost"))
    assert {lead.status for lead in facts} == {"won", "lost"}
    assert {lead.values["prior_orders"] for lead in facts} == {"0"}


def test_a_new_team_scores_with_the_prior(database: Database) -> None:
    with database.transaction() as session:
        synthetic_history(session, closed=5, start=START)
        add_lead(session, channel="web", status="contacted", opened=START, owner=None)
    run = score_leads(database)
    assert run.report["falls_back_to_prior"] and run.report["calibration"] is None
    with database.transaction() as session:
        (score,) = session.scalars(select(LeadScore)).all()
    assert score.factors == [] and 0.02 <= score.probability <= 0.98
