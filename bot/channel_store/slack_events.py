"""`channels.slack.ports.SlackEventLedger` in the CRM store: Slack's Events API
deliveries recorded by `event_id`, so a retry of one already taken goes no further."""

from __future__ import annotations

from typing import Any

from anyio import to_thread

from crm_store import Database
from crm_store import slack as store


class StoredSlackEvents:
    def __init__(self, database: Database) -> None:
        self._db = database

    async def take(self, event_id: str, event_type: str, payload: dict[str, Any]) -> bool:
        return await to_thread.run_sync(self._take, event_id, event_type, payload)

    async def finish(self, event_id: str, error: str | None) -> None:
        await to_thread.run_sync(self._finish, event_id, error)

    def _take(self, event_id: str, event_type: str, payload: dict[str, Any]) -> bool:
        with self._db.transaction() as session:
            return store.take_event(session, event_id, event_type, payload)

    def _finish(self, event_id: str, error: str | None) -> None:
        with self._db.transaction() as session:
            store.finish_event(session, event_id, error)
