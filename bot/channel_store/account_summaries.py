"""`channels.slack.ports.AccountSummaries` in the CRM store: the one role rule and the
one lookup by query that the API and the chat action use too.

A summary shown in Slack is audited as the API's are: a read of each customer whose
data it shows (the customer, or an account's contacts), by that staff user, via Slack,
in the transaction that read it."""

from __future__ import annotations

from anyio import to_thread

from crm_store import Database, audit
from crm_store.staff import SUMMARY_ROLES
from crm_store.summary_lookup import Summary, SummaryLookup, lookup_summary


class StoredAccountSummaries:
    def __init__(self, database: Database) -> None:
        self._db = database

    def may_read(self, role: str) -> bool:
        return role in SUMMARY_ROLES

    async def lookup(self, query: str, staff_id: int | None = None) -> SummaryLookup:
        return await to_thread.run_sync(self._lookup, query, staff_id)

    def _lookup(self, query: str, staff_id: int | None) -> SummaryLookup:
        with self._db.transaction() as session:
            found = lookup_summary(session, query)
            if isinstance(found, Summary) and staff_id is not None:
                shown = found.summary
                subject = shown.subject
                ids = [subject.id] if subject.kind == "customer" else []
                ids += [contact.id for contact in shown.contacts]
                audit.record_access(
                    session,
                    customer_ids=ids,
                    action="read",
                    endpoint=f"slack summary ({subject.kind})",
                    via="slack",
                    staff_id=staff_id,
                    subject=f"{subject.kind} {subject.id}",
                )
            return found
