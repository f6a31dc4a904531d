"""What staff do with segments and campaigns, on a session: save, create, schedule,
pause, resume, cancel. The API, the CLI and the YAML loader all come through here.

Scheduling runs the preview first and refuses a campaign whose templates fail for any
customer of the audience (up to the preview's limit), naming customer and field: a
missing field fails here, not at send time.

Which error a refusal is (the API's 409 or 422 follows it: bot/api/campaigns.py):
`CampaignStateError` when the campaign as it stands (its status, the time or deadline
saved with it) does not allow the change, so the same request would do on a campaign
in another state; `InvalidCampaign` when what is asked cannot be done whatever the
campaign's state (a time in the request that has passed, a deadline before it, the
content failing or going nowhere)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crm_store import campaigns
from crm_store.base import utcnow
from crm_store.campaigns import CampaignRecord, SegmentRecord
from crm_store.models import Customer
from engagement.definitions import CampaignDefinition, SegmentDefinition
from engagement.errors import CampaignStateError, InvalidCampaign
from engagement.filters import audience
from engagement.journey_definitions import JourneyDefinition
from engagement.preview import preview_campaign
from engagement.rules import REASONS, EngagementRules, channels_off, channels_off_reason
from engagement.sends import LATE_START_LIMIT, cancel_campaign, too_late_to_start

__all__ = [
    "SCHEDULE_SKEW",
    "create_campaign",
    "move_campaign",
    "save_segment",
    "schedule_campaign",
    "segment_preview",
]

SCHEDULE_CHECK = 5000  # customers whose templates are tried when a campaign is scheduled
# How far in the past `at` may be and still mean "now": a time typed a minute ago. Older
# is refused, not sent at once: "2025-04-02" for "2026-04-02" is a typo, and sending a
# campaign the moment it was meant for next year cannot be taken back.
SCHEDULE_SKEW = timedelta(minutes=5)


def save_segment(session: Session, definition: SegmentDefinition) -> SegmentRecord:
    return campaigns.save_segment(
        session,
        name=definition.name,
        filter=definition.filter,
        description=definition.description,
    )


def segment_preview(
    session: Session, segment: SegmentRecord, *, now: datetime, sample: int = 20
) -> dict[str, Any]:
    """How many customers the segment holds now, and the first few."""
    query = audience(segment.filter, now=now, dialect=session.get_bind().dialect.name)
    count = session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    ids = list(session.scalars(query.limit(sample)))
    rows = session.execute(
        select(Customer.id, Customer.name, Customer.email, Customer.phone, Customer.lifecycle_stage)
        .where(Customer.id.in_(ids))
        .order_by(Customer.id)
    ).all()
    return {
        "segment_id": segment.id,
        "name": segment.name,
        "count": int(count or 0),
        "sample": [
            {
                "id": r.id,
                "name": r.name,
                "email": r.email,
                "phone": r.phone,
                "stage": r.lifecycle_stage,
            }
            for r in rows
        ],
    }


def create_campaign(
    session: Session,
    definition: CampaignDefinition | JourneyDefinition,
    *,
    source: str,
    now: datetime | None = None,
) -> CampaignRecord:
    """A new draft campaign or journey, or (same name, still a draft or scheduled) the
    updated one. A journey is a campaign of kind `journey`: scheduled, paused, resumed,
    cancelled, previewed and reported like any other.

    A scheduled one keeps its time unless the definition gives one (a YAML file loaded
    again without `scheduled_at` once it was scheduled with `at`), and is refused a
    time in the past: the scheduler would start it at once."""
    segment = campaigns.segment_by_name(session, definition.segment)
    if segment is None:
        raise InvalidCampaign(f"no segment named {definition.segment!r}")
    values = {**definition.stored_values(), "segment_id": segment.id, "source": source}
    existing = campaigns.campaign_by_name(session, definition.name)
    if existing is not None and existing.kind != values.get("kind", "broadcast"):
        raise CampaignStateError(f"{definition.name!r} is a {existing.kind}: choose another name")
    if existing is not None and existing.status == "scheduled":
        values["scheduled_at"] = values.get("scheduled_at") or existing.scheduled_at
        now = now or utcnow()
        if values["scheduled_at"] is not None and values["scheduled_at"] < now - SCHEDULE_SKEW:
            raise CampaignStateError(
                f"campaign {definition.name!r} is scheduled; scheduled_at "
                f"{values['scheduled_at'].isoformat()} is in the past and would send it at "
                "once: give a time to come"
            )
    if existing is not None:
        updated = campaigns.update_draft(session, existing.id, **values)
        if updated is None:
            raise CampaignStateError(
                f"campaign {definition.name!r} is {existing.status}: its content cannot change"
            )
        return updated
    return campaigns.add_campaign(session, name=definition.name, status="draft", **values)


def schedule_campaign(
    session: Session,
    campaign: CampaignRecord,
    rules: EngagementRules,
    *,
    now: datetime,
    at: datetime | None = None,
    deadline: datetime | None = None,
) -> CampaignRecord:
    """Schedule a draft (at `at`, or now), after a preview without template errors; or
    schedule again one paused before it started (its time went by while paused, so
    resuming it is refused: `move_campaign`)."""
    unstarted = campaign.status == "paused" and campaign.started_at is None
    if campaign.status != "draft" and not unstarted:
        raise CampaignStateError(f"campaign {campaign.id} is {campaign.status}, not a draft")
    if at is not None and at < now - SCHEDULE_SKEW:
        raise InvalidCampaign(
            f"at: {at.isoformat()} is in the past (it is {now.isoformat(timespec='seconds')}); "
            "leave it out to send now"
        )
    saved = campaign.scheduled_at
    if at is None and saved is not None and saved < now - SCHEDULE_SKEW:
        # Decided: a time saved with the draft that has passed since (a draft saved
        # for yesterday, one the scheduler found too late) is not read as "now": the
        # content was written for that moment, so the marketer picks the new one.
        raise CampaignStateError(
            f"the campaign's saved time {saved.isoformat()} has passed (it is "
            f"{now.isoformat(timespec='seconds')}); give `at`: a new time, or now to send it now"
        )
    planned = at or saved or now
    if deadline is not None and deadline <= planned:
        raise InvalidCampaign("the send deadline must be after the scheduled time")
    end = deadline or campaign.send_deadline
    if end is not None and end <= planned:
        # The deadline saved with the campaign, not one in the request: the campaign's
        # own time stands in the way (a 409 at the API), and a new one is the way on.
        raise CampaignStateError(
            f"the campaign's deadline {end.isoformat()} is not after {planned.isoformat()}; "
            "give a new `deadline`"
        )
    off = channels_off(campaign, rules)
    if off:
        raise InvalidCampaign(channels_off_reason(off))
    # The templates are tried on the first 5,000 of the audience, as before the preview
    # was batched: a few seconds, where the whole of a 100,000 audience would hold the
    # API's schedule call for minutes (a template error beyond them fails that row at
    # send, reason `template`, in the report).
    # Previewed as it will be sent: a new deadline in the request counts, not the one
    # saved with the draft (which may have passed: the reason a new one was given), at
    # the time it will go, not the draft's saved time ("now" for a draft saved for Friday).
    preview = preview_campaign(
        session,
        replace(campaign, send_deadline=end, scheduled_at=planned),
        rules,
        now=planned,
        sample=0,
        max_customers=SCHEDULE_CHECK,
    )
    if preview["template_errors"]:
        raise InvalidCampaign(
            "the templates fail for some customers; fix them or add a default",
            preview["template_errors"][:50],
        )
    # A broadcast freezes its audience when it starts: sent now to an empty segment it
    # would end at once having sent nothing, and say nothing. Said here instead. One for
    # later is let through (the segment may fill by then), as is a journey, which
    # enrols as customers come.
    if campaign.kind == "broadcast" and planned <= now and preview["audience"] == 0:
        segment = campaigns.get_segment(session, campaign.segment_id)
        named = repr(segment.name) if segment else str(campaign.segment_id)
        raise InvalidCampaign(
            f"segment {named} has no customers now, so nothing would be sent; "
            "preview the segment, or change its filter"
        )
    if campaign.kind == "broadcast" and planned <= now:
        _refuse_if_nobody_can_get_it(session, campaign, preview)
    moved = campaigns.change_status(
        session,
        campaign.id,
        "schedule_unstarted" if unstarted else "schedule",
        scheduled_at=planned,
        send_deadline=end,
    )
    if moved is None:
        raise CampaignStateError(f"campaign {campaign.id} changed meanwhile")
    return moved


# Exclusions for good: nothing the marketer does to the schedule changes them. Any other
# (a frequency cap that passes, a deadline that could be later) lets the campaign through,
# as the marketer chose by scheduling it.
_FOR_GOOD = frozenset({"no_consent", "sms_stop", "unsubscribed", "opted_out", "no_address"})
_FOR_GOOD_OR_HELD_OUT = _FOR_GOOD | {"holdout"}


def _refuse_if_nobody_can_get_it(
    session: Session, campaign: CampaignRecord, preview: dict[str, Any]
) -> None:
    """A broadcast sent now to a segment whose every customer is excluded for good (no
    consent, unsubscribed, STOP, no address, the holdout) would end at once having sent
    nothing, and say nothing: refused, with the preview's counts. Judged on the whole
    audience only (the preview read all of it: up to `SCHEDULE_CHECK` customers)."""
    if preview["audience"] == 0 or preview["evaluated"] < preview["audience"]:
        return
    steps = preview["steps"].values()
    if any(step["send_now"] or step["wait_for_quiet_hours"] for step in steps):
        return
    excluded: dict[str, int] = {}
    for step in steps:
        for reason, count in step["excluded"].items():
            excluded[reason] = max(excluded.get(reason, 0), count)
    if not excluded.keys() <= _FOR_GOOD_OR_HELD_OUT:
        return
    segment = campaigns.get_segment(session, campaign.segment_id)
    named = repr(segment.name) if segment else str(campaign.segment_id)
    why = ", ".join(f"{count} {REASONS.get(reason, reason)}" for reason, count in excluded.items())
    raise InvalidCampaign(
        f"none of the {preview['audience']} customers of segment {named} can get this campaign "
        f"({why}), so nothing would be sent; the preview lists them"
    )


def move_campaign(
    session: Session, campaign: CampaignRecord, action: str, *, now: datetime
) -> CampaignRecord:
    """pause, resume or cancel; `CampaignStateError` when the status does not allow it."""
    if action == "cancel":
        moved = cancel_campaign(session, campaign.id, now)
    elif action == "resume" and campaign.started_at is None:
        # Paused while scheduled: resumed, it is scheduled again for its time, since
        # "sending" would find no frozen audience and be marked done having sent
        # nothing. If that time is too long gone (or its deadline is), the scheduler
        # would send nothing: refused here, with the way on, rather than answered
        # "scheduled" and put back to draft by the scheduler a moment later.
        _refuse_a_resume_that_would_send_nothing(campaign, now)
        moved = campaigns.change_status(session, campaign.id, "resume_unstarted")
    else:
        moved = campaigns.change_status(session, campaign.id, action)
    if moved is None:
        raise CampaignStateError(f"campaign {campaign.id} is {campaign.status}: cannot {action}")
    return moved


def _limit_words() -> str:
    minutes = int(LATE_START_LIMIT.total_seconds() // 60)
    hours, rest = divmod(minutes, 60)
    if rest:
        return f"{minutes} minutes"
    return f"{hours} hour" if hours == 1 else f"{hours} hours"


def _refuse_a_resume_that_would_send_nothing(campaign: CampaignRecord, now: datetime) -> None:
    """`CampaignStateError` (the campaign's time, not the request, is the trouble) when
    a campaign paused before it started would, resumed now, not be sent."""
    way_on = "schedule it again with a new `at` (a time to come, or now), or cancel it"
    if too_late_to_start(campaign, now):
        assert campaign.scheduled_at is not None
        raise CampaignStateError(
            f"campaign {campaign.id} was to start at {campaign.scheduled_at.isoformat()}, "
            f"more than {_limit_words()} ago (the late-start limit): resumed now it would "
            f"not be sent; {way_on}"
        )
    if campaign.send_deadline is not None and campaign.send_deadline <= now:
        raise CampaignStateError(
            f"campaign {campaign.id}'s deadline {campaign.send_deadline.isoformat()} has "
            f"passed: resumed now it would not be sent; {way_on} and a new `deadline`"
        )
