"""`channels.slack.ports.StaffDirectory` in the CRM store: staff users by Slack user id,
and the one-time link of a Slack user to the staff user with the same email."""

from __future__ import annotations

from anyio import to_thread

from crm_store import Database
from crm_store import slack as store
from crm_store.records import StaffRecord


class StoredSlackStaff:
    def __init__(self, database: Database) -> None:
        self._db = database

    async def by_slack_user(self, slack_user_id: str) -> StaffRecord | None:
        return await to_thread.run_sync(self._by_slack_user, slack_user_id)

    async def link_slack_user(self, slack_user_id: str, email: str) -> StaffRecord | None:
        return await to_thread.run_sync(self._link, slack_user_id, email)

    def _by_slack_user(self, slack_user_id: str) -> StaffRecord | None:
        with self._db.transaction() as session:
            return store.staff_by_slack_user(session, slack_user_id)

    def _link(self, slack_user_id: str, email: str) -> StaffRecord | None:
        with self._db.transaction() as session:
            return store.link_slack_user_by_email(session, slack_user_id, email)
