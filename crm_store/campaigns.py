"""Saved segments and campaigns in the store, and a campaign's status changes.

Status: draft -> scheduled -> sending -> done, with paused (and back) while sending and
cancelled from anything not finished. Every change is one conditional UPDATE (`WHERE
status IN (...)`), so of two schedulers or two staff users acting at once one wins and
the other is told what the status is now."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from crm_store import claims
from crm_store.base import utcnow
from crm_store.models import Campaign, Segment

__all__ = [
    "MOVES",
    "CampaignRecord",
    "SegmentRecord",
    "add_campaign",
    "campaign_by_name",
    "change_status",
    "due_to_start",
    "get_campaign",
    "get_segment",
    "list_campaigns",
    "list_segments",
    "next_start",
    "save_segment",
    "segment_by_name",
    "update_draft",
]

# Which status each action moves a campaign from, and to.
MOVES: dict[str, tuple[tuple[str, ...], str]] = {
    "schedule": (("draft",), "scheduled"),
    "start": (("scheduled",), "sending"),
    "pause": (("scheduled", "sending"), "paused"),
    "resume": (("paused",), "sending"),
    "cancel": (("draft", "scheduled", "sending", "paused"), "cancelled"),
    "finish": (("sending",), "done"),
    # A broadcast the scheduler found long past its time goes back to draft, unsent
    # (engagement/sends.py `miss_if_late`).
    "miss": (("scheduled",), "draft"),
    # Resuming one paused before it started: it waits for its time again, and starts
    # then (freezing its audience), rather than "sending" with nothing frozen.
    "resume_unstarted": (("paused",), "scheduled"),
    # Scheduling again one paused before it started, for a new time (its old one went
    # by while it was paused: engagement/campaign_actions.py `move_campaign`).
    "schedule_unstarted": (("paused",), "scheduled"),
}
# The moves above that apply only to a campaign that never started.
UNSTARTED_ONLY = frozenset({"resume_unstarted", "schedule_unstarted"})


@dataclass(frozen=True, slots=True)
class SegmentRecord:
    id: int
    name: str
    description: str | None
    filter: dict[str, Any]
    created_at: datetime


@dataclass(frozen=True, slots=True)
class CampaignRecord:
    id: int
    name: str
    segment_id: int
    purpose: str
    content: dict[str, Any]
    status: str
    scheduled_at: datetime | None
    send_deadline: datetime | None
    holdout_share: float
    conversion_days: int
    source: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    kind: str = "broadcast"
    journey: dict[str, Any] | None = None
    trigger_cursor: int | None = None

    @property
    def channels(self) -> dict[str, str]:
        """Each send step and the channel it goes on: a broadcast has one step per
        channel body (SMS before email before web chat), named by its channel; a
        journey's send steps are named by the marketer."""
        if self.journey is not None:
            return {
                step["name"]: step["send"]
                for step in self.journey.get("steps", [])
                if step.get("send")
            }
        return {step: step for step in ("sms", "email", "web") if step in self.content}

    @property
    def steps(self) -> list[str]:
        return list(self.channels)

    @property
    def start_delay_seconds(self) -> int | None:
        """How long after its scheduled time the send started (a server down over the
        time, a scheduler pass later): None before it started."""
        if self.started_at is None or self.scheduled_at is None:
            return None
        return max(0, round((self.started_at - self.scheduled_at).total_seconds()))


def _segment(row: Segment) -> SegmentRecord:
    return SegmentRecord(row.id, row.name, row.description, dict(row.filter), row.created_at)


def _campaign(row: Campaign) -> CampaignRecord:
    return CampaignRecord(
        id=row.id,
        name=row.name,
        segment_id=row.segment_id,
        purpose=row.purpose,
        content=dict(row.content),
        status=row.status,
        scheduled_at=row.scheduled_at,
        send_deadline=row.send_deadline,
        holdout_share=row.holdout_share,
        conversion_days=row.conversion_days,
        source=row.source,
        created_at=row.created_at,
        started_at=row.started_at,
        finished_at=row.finished_at,
        kind=row.kind,
        journey=dict(row.journey) if row.journey is not None else None,
        trigger_cursor=row.trigger_cursor,
    )


def save_segment(
    session: Session, *, name: str, filter: dict[str, Any], description: str | None = None
) -> SegmentRecord:
    """Create the segment, or replace the filter of the one with this name."""
    row = session.scalars(select(Segment).where(Segment.name == name)).one_or_none()
    if row is None:
        row = Segment(name=name)
        session.add(row)
    row.filter = filter
    row.description = description
    row.updated_at = utcnow()
    session.flush()
    return _segment(row)


def get_segment(session: Session, segment_id: int) -> SegmentRecord | None:
    row = session.get(Segment, segment_id)
    return _segment(row) if row is not None else None


def segment_by_name(session: Session, name: str) -> SegmentRecord | None:
    row = session.scalars(select(Segment).where(Segment.name == name)).one_or_none()
    return _segment(row) if row is not None else None


def list_segments(session: Session) -> list[SegmentRecord]:
    return [_segment(row) for row in session.scalars(select(Segment).order_by(Segment.id))]


def add_campaign(session: Session, **values: Any) -> CampaignRecord:
    row = Campaign(**values)
    session.add(row)
    session.flush()
    return _campaign(row)


def update_draft(session: Session, campaign_id: int, **values: Any) -> CampaignRecord | None:
    """Change a campaign that has not started (a YAML file loaded again); None once it
    has, since a running send's content is what its recipients get."""
    row = session.get(Campaign, campaign_id)
    if row is None or row.status not in ("draft", "scheduled"):
        return None
    for key, value in values.items():
        setattr(row, key, value)
    session.flush()
    return _campaign(row)


def get_campaign(session: Session, campaign_id: int) -> CampaignRecord | None:
    row = session.get(Campaign, campaign_id)
    return _campaign(row) if row is not None else None


def campaign_by_name(session: Session, name: str) -> CampaignRecord | None:
    row = session.scalars(select(Campaign).where(Campaign.name == name)).one_or_none()
    return _campaign(row) if row is not None else None


def list_campaigns(session: Session) -> list[CampaignRecord]:
    return [_campaign(row) for row in session.scalars(select(Campaign).order_by(Campaign.id))]


def change_status(
    session: Session, campaign_id: int, action: str, **values: Any
) -> CampaignRecord | None:
    """Apply `action` (a key of MOVES) if the campaign's status allows it; None when it
    did not (the caller reads the status to say why). `values` are set with it."""
    allowed, to = MOVES[action]
    where = [Campaign.id == campaign_id, Campaign.status.in_(allowed)]
    if action in UNSTARTED_ONLY:
        where.append(Campaign.started_at.is_(None))
    moved = session.execute(
        update(Campaign).where(*where).values(status=to, updated_at=utcnow(), **values)
    ).rowcount
    if not moved:
        return None
    claims.note_queued(session, "campaigns")  # the scheduler and the senders look again
    session.expire_all()
    return get_campaign(session, campaign_id)


def next_start(session: Session) -> datetime | None:
    """When the first scheduled campaign is to start."""
    return session.scalar(
        select(func.min(Campaign.scheduled_at)).where(Campaign.status == "scheduled")
    )


def due_to_start(session: Session, now: datetime) -> list[int]:
    """Scheduled campaigns whose time has come."""
    return list(
        session.scalars(
            select(Campaign.id).where(
                Campaign.status == "scheduled",
                (Campaign.scheduled_at.is_(None)) | (Campaign.scheduled_at <= now),
            )
        )
    )
