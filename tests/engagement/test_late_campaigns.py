"""A broadcast whose time has passed is never sent as if it were on time (on both
databases): the scheduler starts one up to an hour late and records how late; later
than that, or without a deadline to say how late is still right, it goes back to draft
unsent; a time saved with a draft that has since passed is not read as "now"."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from bot.delivery.campaign_scheduler import CampaignScheduler
from crm_store import Database
from crm_store.base import utcnow
from crm_store.campaigns import get_campaign
from crm_store.models import CampaignSend
from engagement.campaign_actions import create_campaign, move_campaign
from engagement.definitions import CampaignDefinition
from engagement.errors import CampaignStateError
from engagement.report import campaign_report
from tests.support.campaigns import OPEN_RULES, Shopper, campaign, schedule, shoppers

AUDIENCE = [Shopper(name=f"Shopper {n}", phone=f"+1415555{n:04d}") for n in range(3)]


def _rows(database: Database, campaign_id: int) -> int:
    with database.transaction() as session:
        return session.scalar(select(func.count()).where(CampaignSend.campaign_id == campaign_id))


def _scheduler_at(database: Database, moment: datetime) -> CampaignScheduler:
    return CampaignScheduler(database, holdout_salt="salt", clock=lambda: moment)


def test_a_send_found_over_an_hour_late_goes_back_to_draft_unsent(
    database: Database, caplog: pytest.LogCaptureFixture
) -> None:
    shoppers(database, AUDIENCE)
    now = utcnow()
    at = now + timedelta(minutes=10)
    found = schedule(database, campaign(database), OPEN_RULES, now, at=at)
    # The server was down from before `at` until two hours after it.
    late = at + timedelta(hours=2)
    # The level is set here: an earlier test's CLI may have set the log level higher.
    with caplog.at_level(logging.WARNING, logger="bot.delivery.campaign_scheduler"):
        assert _scheduler_at(database, late).tick() == []
    with database.transaction() as session:
        missed = get_campaign(session, found.id)
    assert missed is not None and missed.status == "draft" and missed.started_at is None
    assert _rows(database, found.id) == 0  # nobody was written to the ledger, so none sent
    warned = [r for r in caplog.records if r.getMessage().startswith("campaign not sent")]
    assert warned and warned[0].late_seconds == 7200

    # Scheduling it again asks for a new time rather than reading the old one as now.
    with pytest.raises(CampaignStateError, match=r"saved time .* has passed"):
        schedule(database, missed, OPEN_RULES, late)
    again = schedule(database, missed, OPEN_RULES, late, at=late)
    assert again.status == "scheduled" and again.scheduled_at == late


def test_a_send_started_within_the_hour_says_how_late_it_started(database: Database) -> None:
    shoppers(database, AUDIENCE)
    now = utcnow()
    at = now + timedelta(minutes=10)
    found = schedule(database, campaign(database), OPEN_RULES, now, at=at)
    assert _scheduler_at(database, at + timedelta(minutes=30)).tick() == [found.id]
    with database.transaction() as session:
        started = get_campaign(session, found.id)
        assert started is not None and started.status == "sending"
        report = campaign_report(session, started)
    assert started.start_delay_seconds == 1800
    assert report["start_delay_seconds"] == 1800
    assert report["scheduled_at"] == at.isoformat()
    assert _rows(database, found.id) == len(AUDIENCE)


def test_a_send_with_a_deadline_starts_late_and_suppresses_past_the_deadline(
    database: Database,
) -> None:
    shoppers(database, AUDIENCE)
    now = utcnow()
    at = now + timedelta(minutes=10)
    found = schedule(
        database, campaign(database), OPEN_RULES, now, at=at, deadline=at + timedelta(days=2)
    )
    assert _scheduler_at(database, at + timedelta(hours=5)).tick() == [found.id]
    with database.transaction() as session:
        started = get_campaign(session, found.id)
    assert started is not None and started.start_delay_seconds == 5 * 3600


def test_a_scheduled_campaign_saved_again_keeps_its_time_and_refuses_a_past_one(
    database: Database,
) -> None:
    now = utcnow()
    at = now + timedelta(days=1)
    found = schedule(database, campaign(database), OPEN_RULES, now, at=at)
    definition = {
        "name": "Come back",
        "segment": "Come back audience",
        "content": {"sms": {"body": "Hi, we miss you (new words)"}},
    }
    with database.transaction() as session:
        # A YAML file loaded again, without a time: the time scheduled with `at` stays.
        kept = create_campaign(session, CampaignDefinition(**definition), source="test", now=now)
    assert kept.status == "scheduled" and kept.scheduled_at == at
    yesterday = now - timedelta(days=1)
    with (
        pytest.raises(CampaignStateError, match="in the past and would send it at once"),
        database.transaction() as session,
    ):
        create_campaign(
            session,
            CampaignDefinition(**definition, scheduled_at=yesterday),
            source="test",
            now=now,
        )
    with database.transaction() as session:
        unchanged = get_campaign(session, found.id)
    assert unchanged is not None and unchanged.scheduled_at == at


def test_a_campaign_paused_before_it_started_waits_for_its_time_again_when_resumed(
    database: Database,
) -> None:
    """Paused while scheduled and resumed, it used to go to `sending` with no audience
    frozen, and the next pass marked it done having sent nothing."""
    shoppers(database, AUDIENCE)
    now = utcnow()
    at = now + timedelta(days=1)
    found = schedule(database, campaign(database), OPEN_RULES, now, at=at)
    with database.transaction() as session:
        move_campaign(session, found, "pause", now=now)
    with database.transaction() as session:
        resumed = move_campaign(session, get_campaign(session, found.id), "resume", now=now)
    assert resumed.status == "scheduled" and resumed.scheduled_at == at
    assert _scheduler_at(database, now).tick() == []  # not yet
    with database.transaction() as session:
        assert get_campaign(session, found.id).status == "scheduled"
    assert _scheduler_at(database, at).tick() == [found.id]
    assert _rows(database, found.id) == len(AUDIENCE)
