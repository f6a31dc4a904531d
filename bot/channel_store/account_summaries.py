"""`channels.slack.ports.AccountSummaries` in the CRM store: the one role rule and the
one lookup by query that the API and the chat action use too."""

from __future__ import annotations

from anyio import to_thread

from crm_store import Database
from crm_store.staff import SUMMARY_ROLES
from crm_store.summary_lookup import SummaryLookup, lookup_summary


class StoredAccountSummaries:
    def __init__(self, database: Database) -> None:
        self._db = database

    def may_read(self, role: str) -> bool:
        return role in SUMMARY_ROLES

    async def lookup(self, query: str) -> SummaryLookup:
        return await to_thread.run_sync(self._lookup, query)

    def _lookup(self, query: str) -> SummaryLookup:
        with self._db.transaction() as session:
            return lookup_summary(session, query)
