"""The time-based lifecycle stages applied to the customers themselves, on SQLite and
PostgreSQL: by the stage job (thresholds set, the last refit's, or learned now) and at
each refit, each move logged once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from analytics.lifecycle import LifecycleThresholds
from analytics.refit import RefitSettings, refit_customers
from analytics.stages import apply_stages, current_thresholds
from bot.lifecycle_stages import LifecycleStageJob
from crm_store import Database
from crm_store.models import Customer, LoggedEvent
from crm_store.orders import record_order
from tests.support.purchases import add_buyer

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)
DAY = timedelta(days=1)
T = LifecycleThresholds(at_risk_after_days=60, lapsed_after_days=120, learned_from_intervals=0)


def stages(database: Database, *ids: int) -> list[str]:
    with database.transaction() as session:
        return [session.get_one(Customer, i).lifecycle_stage for i in ids]


def moves(database: Database) -> list[tuple[int | None, str, str, str]]:
    with database.transaction() as session:
        return [
            (e.customer_id, e.data["from"], e.data["to"], e.data["reason"])
            for e in session.scalars(
                select(LoggedEvent)
                .where(LoggedEvent.type == "lifecycle.changed")
                .order_by(LoggedEvent.id)
            )
        ]


def set_stage(database: Database, customer_id: int, stage: str) -> None:
    with database.transaction() as session:
        session.get_one(Customer, customer_id).lifecycle_stage = stage


def test_silence_moves_buyers_to_at_risk_then_lapsed_and_a_rerun_adds_nothing(
    database: Database,
) -> None:
    with database.transaction() as session:
        recent = add_buyer(session, [(NOW - 5 * DAY, 1_000), (NOW - 50 * DAY, 1_000)])
        quiet = add_buyer(session, [(NOW - 70 * DAY, 1_000)])
        gone = add_buyer(session, [(NOW - 130 * DAY, 1_000), (NOW - 200 * DAY, 1_000)])
        churned = add_buyer(session, [(NOW - 300 * DAY, 1_000)])
        never = add_buyer(session, [], lead=True)
    for customer_id, stage in ((recent, "repeat"), (quiet, "customer"), (gone, "repeat")):
        set_stage(database, customer_id, stage)
    set_stage(database, churned, "churned")
    set_stage(database, never, "lead")

    assert apply_stages(database.transaction, T, NOW, batch=2) == 2
    assert stages(database, recent, quiet, gone, churned, never) == [
        "repeat",
        "at_risk",
        "lapsed",
        "churned",  # a person's decision: only a purchase moves it
        "lead",  # never bought: left alone
    ]
    assert moves(database) == [
        (quiet, "customer", "at_risk", "silence"),
        (gone, "repeat", "lapsed", "silence"),
    ]
    assert apply_stages(database.transaction, T, NOW, batch=2) == 0
    assert len(moves(database)) == 2

    # Fifty days on, the quiet one has lapsed too; a purchase brings the gone one back.
    with database.transaction() as session:
        record_order(session, customer_id=gone, number="back-1", total_cents=500, placed_at=NOW)
    assert apply_stages(database.transaction, T, NOW + 50 * DAY) == 1
    assert stages(database, quiet, gone) == ["lapsed", "repeat"]
    assert moves(database)[-2:] == [
        (gone, "lapsed", "repeat", "purchase"),
        (quiet, "at_risk", "lapsed", "silence"),
    ]


def test_orders_written_without_record_order_are_caught_up(database: Database) -> None:
    """An import that wrote orders directly: the job brings each buyer's stage in line,
    but never moves anyone to `lead`."""
    with database.transaction() as session:
        imported = add_buyer(session, [(NOW - 3 * DAY, 900), (NOW - 9 * DAY, 900)], lead=True)
        returned = add_buyer(session, [(NOW - 3 * DAY, 900)], status="returned")
    set_stage(database, imported, "lead")
    set_stage(database, returned, "customer")
    assert apply_stages(database.transaction, T, NOW) == 1
    assert stages(database, imported, returned) == ["repeat", "customer"]
    assert moves(database) == [(imported, "lead", "repeat", "purchases")]


def test_a_refit_applies_the_stages_and_the_job_uses_its_thresholds(database: Database) -> None:
    with database.transaction() as session:
        fresh = add_buyer(session, [(NOW - 2 * DAY, 700)])
        quiet = add_buyer(session, [(NOW - 40 * DAY, 700)])
    with database.transaction() as session:
        # Never refitted, fewer than 30 intervals: the defaults (90, 180) or the settings.
        assert current_thresholds(session).at_risk_after_days == 90
        assert current_thresholds(session, at_risk_after_days=10).at_risk_after_days == 10

    outcome = refit_customers(
        database, now=NOW, settings=RefitSettings(at_risk_after_days=30, lapsed_after_days=90)
    )
    assert outcome.stages_moved == 2
    assert stages(database, fresh, quiet) == ["customer", "at_risk"]
    with database.transaction() as session:
        stored = current_thresholds(session)
        assert (stored.at_risk_after_days, stored.lapsed_after_days) == (30, 90)
        assert current_thresholds(session, lapsed_after_days=200).lapsed_after_days == 200

    later = NOW + 60 * DAY
    job = LifecycleStageJob(database, every_hours=1, clock=lambda: later)
    assert job.run_once() == 2
    assert stages(database, fresh, quiet) == ["at_risk", "lapsed"]
    set_by_hand = LifecycleStageJob(
        database, every_hours=1, at_risk_after_days=500, lapsed_after_days=900, clock=lambda: later
    )
    assert set_by_hand.run_once() == 0  # silence is undone by a purchase, not by a threshold
    assert [m[1:3] for m in moves(database)] == [
        ("visitor", "customer"),  # the refit
        ("visitor", "at_risk"),
        ("customer", "at_risk"),  # the job, 60 days on
        ("at_risk", "lapsed"),
    ]
