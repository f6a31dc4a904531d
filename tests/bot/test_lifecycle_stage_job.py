"""The server runs the lifecycle stage job under its lease (bot/lifecycle_stages.py), on
SQLite and PostgreSQL: a buyer silent past the set thresholds is moved when the server
starts, and `ANALYTICS__STAGES_EVERY_HOURS=0` turns the job off."""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path

from fastapi.testclient import TestClient

from bot.app import create_app
from bot.settings import AnalyticsSettings, DatabaseSettings, Settings
from crm_store import Database, upgrade
from crm_store.base import utcnow
from crm_store.models import Customer
from tests.support.fakes import ScriptedDialogue
from tests.support.purchases import add_buyer


def test_the_server_moves_a_silent_buyer_under_its_lease(tmp_path: Path, database_url: str) -> None:
    upgrade(database_url)
    database = Database(database_url)
    with database.transaction() as session:
        silent = add_buyer(session, [(utcnow() - timedelta(days=50), 1_200)])
        session.get_one(Customer, silent).lifecycle_stage = "customer"

    def stage() -> str:
        with database.transaction() as session:
            return session.get_one(Customer, silent).lifecycle_stage

    def serve(every_hours: float) -> Settings:
        return Settings(
            data_dir=tmp_path / "var",
            database=DatabaseSettings(url=database_url),
            analytics=AnalyticsSettings(
                at_risk_after_days=30, lapsed_after_days=60, stages_every_hours=every_hours
            ),
        )

    with TestClient(create_app(serve(0), dialogue=ScriptedDialogue())) as client:
        assert "lifecycle-stages" not in client.app.state.services.singletons  # type: ignore[attr-defined]
    assert stage() == "customer"

    with TestClient(create_app(serve(1), dialogue=ScriptedDialogue())) as client:
        assert "lifecycle-stages" in client.app.state.services.singletons  # type: ignore[attr-defined]
        deadline = time.monotonic() + 10
        while stage() != "at_risk" and time.monotonic() < deadline:
            time.sleep(0.05)
    assert stage() == "at_risk"
    database.dispose()
