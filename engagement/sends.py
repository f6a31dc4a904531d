"""Starting a send (the audience frozen into the ledger), and ending one.

Starting is one transaction: the campaign moves `scheduled -> sending` with a
conditional UPDATE (of two schedulers, one moves it and the other finds nothing to
do), the segment is evaluated once in SQL and streamed, each customer is placed in or
out of the holdout, and the recipients and their ledger rows are written. A crash
before the commit leaves the campaign scheduled and nothing written; after it, the
ledger is complete. Either way a restart neither skips nor repeats anyone.

A journey goes live the same way (`scheduled -> sending`) but freezes nothing: who
enters is found pass by pass (engagement/journey_triggers.py), and it stays live until
cancelled.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlalchemy.orm import Session

from crm_store import campaign_sends, campaigns, journey_enrolments
from crm_store.campaigns import CampaignRecord
from crm_store.models import Campaign, Customer
from engagement.filters import audience
from engagement.holdout import in_holdout
from engagement.journey_triggers import start_cursor

__all__ = [
    "LATE_START_LIMIT",
    "cancel_campaign",
    "finish_if_complete",
    "miss_if_late",
    "start_send",
    "too_late_to_start",
]

STREAM_CHUNK = 2000
# How late the scheduler may start a broadcast without a deadline (a server down over
# its time, a restart): within it the send starts, and the campaign and its report
# show how late (`start_delay_seconds`). Decided: later than this it is not sent at
# all but goes back to draft, since a broadcast is written for its moment ("sale ends
# today") and a marketer must choose to send it late. A campaign with a deadline is
# started however late, as before: the marketer said how late is still right, and
# every row past the deadline is suppressed with reason `deadline` in its report.
LATE_START_LIMIT = timedelta(hours=1)


def _stream(
    session: Session, campaign: CampaignRecord, salt: str, now: datetime
) -> Iterator[tuple[int, bool]]:
    """The audience in id order, a chunk at a time (keyset paging: memory stays flat
    however large the segment)."""
    segment = campaigns.get_segment(session, campaign.segment_id)
    assert segment is not None  # a foreign key
    query = audience(segment.filter, now=now, dialect=session.get_bind().dialect.name)
    last = 0
    while True:
        chunk = list(session.scalars(query.where(Customer.id > last).limit(STREAM_CHUNK)))
        for customer_id in chunk:
            yield customer_id, in_holdout(customer_id, campaign.holdout_share, salt)
        if len(chunk) < STREAM_CHUNK:
            return
        last = chunk[-1]


def start_send(
    session: Session, campaign_id: int, *, holdout_salt: str, now: datetime
) -> int | None:
    """Freeze the audience of a scheduled campaign and queue its ledger. Returns the
    recipients written, or None when the campaign was not (or no longer) scheduled."""
    started = campaigns.change_status(session, campaign_id, "start", started_at=now)
    if started is None:
        return None
    if started.kind == "journey":
        session.execute(
            update(Campaign)
            .where(Campaign.id == campaign_id)
            .values(trigger_cursor=start_cursor(session))
        )
        return 0
    return campaign_sends.queue_audience(
        session,
        campaign_id,
        steps=started.steps,
        purpose=started.purpose,
        customers=_stream(session, started, holdout_salt, now),
        now=now,
    )


def too_late_to_start(campaign: CampaignRecord, now: datetime) -> bool:
    """A broadcast without a deadline whose time passed more than `LATE_START_LIMIT`
    ago: the scheduler would not start it. A journey is never too late: going live late
    only enrols from then on. (Resuming one is refused by the same test:
    engagement/campaign_actions.py.)"""
    return (
        campaign.kind == "broadcast"
        and campaign.scheduled_at is not None
        and campaign.send_deadline is None
        and now - campaign.scheduled_at > LATE_START_LIMIT
    )


def miss_if_late(session: Session, campaign_id: int, now: datetime) -> CampaignRecord | None:
    """Move a scheduled broadcast that is `too_late_to_start` back to draft, unsent;
    returns it, or None when it is to start (or is no longer scheduled)."""
    found = campaigns.get_campaign(session, campaign_id)
    if found is None or found.status != "scheduled" or not too_late_to_start(found, now):
        return None
    return campaigns.change_status(session, campaign_id, "miss")


def finish_if_complete(session: Session, campaign_id: int, now: datetime) -> bool:
    """Mark a sending broadcast done when no ledger row is left unfinished (a journey
    is never done: it runs until cancelled)."""
    found = campaigns.get_campaign(session, campaign_id)
    if found is None or found.kind == "journey" or campaign_sends.unfinished(session, campaign_id):
        return False
    return campaigns.change_status(session, campaign_id, "finish", finished_at=now) is not None


def cancel_campaign(session: Session, campaign_id: int, now: datetime) -> CampaignRecord | None:
    """Cancel; rows still queued are suppressed (`cancelled`), rows in flight finish; a
    journey's enrolments end."""
    cancelled = campaigns.change_status(session, campaign_id, "cancel", finished_at=now)
    if cancelled is not None:
        journey_enrolments.end_all(session, campaign_id, reason="cancelled", now=now)
        campaign_sends.suppress_unsent(
            session, campaign_id, reason="cancelled", detail="the campaign was cancelled"
        )
    return cancelled
