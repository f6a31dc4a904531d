"""The dry run: for a campaign's audience, who would receive which step when, and for
each customer left out, why. It applies the very rules the sender applies
(engagement/rules.py) at the planned time, and writes nothing.

Before a send starts the audience is the segment evaluated now (and the holdout drawn
as the send will draw it); once started it is the frozen recipient list. A template
that cannot be rendered for a customer is listed as a template error with the field it
missed: scheduling refuses a campaign whose preview has any.

The audience is read a chunk at a time, and the facts the rules read (fields,
addresses, consent, the cap's counts, the SMS hint) are loaded for the whole chunk in
one query per kind (engagement/send_facts.py), as the sender loads them for a batch:
a 100,000-customer preview is a few hundred queries, not half a million.

Each customer's steps are a timeline (engagement/journey_timeline.py): a broadcast's
steps all fall due at the planned time; a journey's fall due one after another from
entering now, through its waits and branches, and each send is assessed at the moment
it would fall due (quiet hours then, the cap counting the sends planned before it).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import datetime
from itertools import islice
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crm_store.campaigns import CampaignRecord, get_segment
from crm_store.models import CampaignRecipient
from engagement.audience_fields import customers_fields
from engagement.filters import audience
from engagement.holdout import in_holdout
from engagement.journey_timeline import PlannedStep, Timeline
from engagement.rules import REASONS, EngagementRules, channels_off

__all__ = ["preview_campaign"]

FROZEN = ("sending", "paused", "done", "cancelled")
CHUNK = 1000  # customers whose facts are read together
DEFAULT_LIMIT = 100_000  # customers evaluated unless asked for fewer


def _audience(
    session: Session, campaign: CampaignRecord, rules: EngagementRules, now: datetime
) -> tuple[int, Iterator[tuple[int, bool]]]:
    # One paused before it started has frozen nothing yet: its audience is the
    # segment's, as while it was scheduled.
    unstarted = campaign.status == "paused" and campaign.started_at is None
    if campaign.status in FROZEN and not unstarted:
        where = CampaignRecipient.campaign_id == campaign.id
        total = session.scalar(select(func.count()).where(where)) or 0
        rows = session.execute(
            select(CampaignRecipient.customer_id, CampaignRecipient.holdout)
            .where(where)
            .order_by(CampaignRecipient.customer_id)
        )
        return int(total), ((int(c), bool(h)) for c, h in rows)
    segment = get_segment(session, campaign.segment_id)
    assert segment is not None
    ids = audience(segment.filter, now=now, dialect=session.get_bind().dialect.name)
    total = session.scalar(select(func.count()).select_from(ids.order_by(None).subquery())) or 0
    salt, share = rules.holdout_salt, campaign.holdout_share
    return int(total), ((c, in_holdout(c, share, salt)) for c in session.scalars(ids))


def _row(customer_id: int, name: str | None, planned: PlannedStep) -> dict[str, Any]:
    reason = planned.reason
    return {
        "customer_id": customer_id,
        "name": name,
        "step": planned.step,
        "channel": planned.channel,
        "decision": planned.decision,
        "due": planned.due.isoformat(),
        "at": planned.at.isoformat() if planned.at else None,
        "reason": reason,
        "why": REASONS.get(reason or "", "") if reason else None,
        "detail": planned.detail or None,
        "address": planned.address,
        "time_zone": planned.zone,
        "text": planned.text,
    }


def preview_campaign(
    session: Session,
    campaign: CampaignRecord,
    rules: EngagementRules,
    *,
    now: datetime,
    max_customers: int = DEFAULT_LIMIT,
    sample: int = 50,
) -> dict[str, Any]:
    """The dry run as JSON: totals per step and reason over the first `max_customers`
    of the audience (`evaluated` says how many), `sample` rows of detail (each
    customer's timeline, step by step), and every template error."""
    at = max(now, campaign.scheduled_at) if campaign.scheduled_at else now
    total, customers = _audience(session, campaign, rules, at)
    timeline = Timeline(session, campaign, rules)
    counts: dict[str, Counter[str]] = {step: Counter() for step in campaign.steps}
    rows: list[dict[str, Any]] = []
    errors: list[dict[str, Any]] = []
    evaluated = 0
    audience_left = islice(customers, max_customers)
    while chunk := list(islice(audience_left, CHUNK)):
        evaluated += len(chunk)
        plans = timeline.plan(chunk, at)
        names = (
            {c: f.name for c, f in customers_fields(session, [c for c, _ in chunk]).items()}
            if len(rows) < sample
            else {}
        )
        for customer_id, _ in chunk:
            for planned in plans[customer_id]:
                counts[planned.step][planned.reason or "send"] += 1
                if planned.reason == "template":
                    errors.append(
                        {"customer_id": customer_id, "step": planned.step, "error": planned.detail}
                    )
                if len(rows) < sample:
                    rows.append(_row(customer_id, names.get(customer_id), planned))
    return {
        "campaign_id": campaign.id,
        "kind": campaign.kind,
        "status": campaign.status,
        "planned_at": at.isoformat(),
        "audience": total,
        "evaluated": evaluated,
        "steps": {
            step: {
                "send_now": found["send"],
                "wait_for_quiet_hours": found["quiet_hours"],
                "excluded": {
                    r: n for r, n in sorted(found.items()) if r not in ("send", "quiet_hours")
                },
            }
            for step, found in counts.items()
        },
        "reasons": {
            r: REASONS[r] for r in sorted({r for c in counts.values() for r in c} - {"send"})
        },
        "template_errors": errors,
        # Channels with no provider here: scheduling is refused until one is set up.
        "channels_off": channels_off(campaign, rules),
        "rows": rows,
    }
