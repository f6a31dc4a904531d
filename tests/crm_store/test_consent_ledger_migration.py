"""Migration 0016 moves the consent flags into the ledger, on SQLite and PostgreSQL:
every opt-out and opt-in kept before the upgrade is in force after it."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import text

from crm_store import Database, consents, upgrade


def test_existing_opt_outs_and_opt_ins_become_ledger_entries(database_url: str) -> None:
    upgrade(database_url, "0013")
    stopped_at = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    database = Database(database_url)
    try:
        with database.engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO customers (name, lifecycle_stage, attributes, created_at,"
                    " updated_at, pending) VALUES ('Ada', 'customer', '{}', :t, :t, false)"
                ),
                {"t": stopped_at},
            )
            ada = connection.execute(text("SELECT max(id) FROM customers")).scalar_one()
            connection.execute(
                text(
                    "INSERT INTO consents (customer_id, channel, address, purpose, status,"
                    " source, recorded_at) VALUES"
                    " (:ada, 'sms', '+14155550101', 'messages', 'opted_out', 'SMS STOP', :t),"
                    " (:ada, 'web', 'session-1', 'marketing', 'opted_in', 'asked in web', :t),"
                    " (NULL, 'sms', '+14155550199', 'messages', 'opted_in', 'SMS START', :t)"
                ),
                {"ada": ada, "t": stopped_at},
            )
        upgrade(database_url)
        with database.transaction() as session:
            stop = consents.opt_out_of(session, "sms", "+14155550101")
            assert stop is not None and stop.source == "SMS STOP" and stop.means == "migration"
            assert stop.recorded_at == stopped_at and stop.customer_id == ada
            for purpose in consents.PURPOSES:  # "messages" covered every purpose
                assert consents.opt_out_of(session, "sms", "+14155550101", purpose=purpose)
            web = consents.current_consent(session, "web", "session-1", purpose="marketing")
            assert web is not None and web.decision == "granted"
            assert consents.current_consent(session, "web", "session-1") is None  # service
            start = consents.current_consent(session, "sms", "+14155550199")
            assert start is not None and start.decision == "granted" and start.customer_id is None
            assert [entry.purpose for entry in consents.ledger_of(session, ada)] == [
                "marketing",
                "service",
                "surveys",
                "marketing",
            ]
    finally:
        database.dispose()
