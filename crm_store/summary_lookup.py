"""One answer to "summary for <what someone typed>": the summary when one account or
customer fits, the candidates when several do, or that nothing does (with the names close
to a misspelt one, close_names.py).

The REST API, the Slack command and the chat action all ask this question and word the
answer their own way; the finding is done here once, in the caller's transaction.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from crm_store.close_names import close_subjects
from crm_store.subjects import MAX_CANDIDATES, find_subjects
from crm_store.summaries import account_summary
from crm_store.summary_records import Candidates, NoMatch, Summary, SummaryLookup

__all__ = ["Candidates", "NoMatch", "Summary", "SummaryLookup", "lookup_summary"]


def lookup_summary(session: Session, query: str, *, now: datetime | None = None) -> SummaryLookup:
    """Find whom `query` (a name, email or phone) means and summarise them if only one."""
    found = find_subjects(session, query, limit=MAX_CANDIDATES + 1)
    if not found:
        return NoMatch(query, tuple(close_subjects(session, query)))
    if len(found) > 1:
        return Candidates(tuple(found[:MAX_CANDIDATES]), more=len(found) > MAX_CANDIDATES)
    (subject,) = found
    if subject.kind == "account":
        return Summary(account_summary(session, account_id=subject.id, now=now))
    return Summary(account_summary(session, customer_id=subject.id, now=now))
