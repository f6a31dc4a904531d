"""The dry run: for a campaign's audience, who would receive which step when, and for
each customer left out, why. It applies the very rules the sender applies
(engagement/rules.py) at the planned time, and writes nothing.

Before a send starts the audience is the segment evaluated now (and the holdout drawn
as the send will draw it); once started it is the frozen recipient list. A template
that cannot be rendered for a customer is listed as a template error with the field it
missed: scheduling refuses a campaign whose preview has any.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crm_store.campaigns import CampaignRecord, get_segment
from crm_store.models import CampaignRecipient, Customer
from engagement.filters import audience
from engagement.holdout import in_holdout
from engagement.rules import REASONS, EngagementRules, assess, channels_off
from engagement.templates import Renderer

__all__ = ["preview_campaign"]

FROZEN = ("sending", "paused", "done", "cancelled")


def _audience(
    session: Session, campaign: CampaignRecord, rules: EngagementRules, now: datetime
) -> tuple[int, Iterator[tuple[int, bool]]]:
    if campaign.status in FROZEN:
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


def preview_campaign(
    session: Session,
    campaign: CampaignRecord,
    rules: EngagementRules,
    *,
    now: datetime,
    max_customers: int = 5000,
    sample: int = 50,
) -> dict[str, Any]:
    """The dry run as JSON: totals per step and reason over the first `max_customers`
    of the audience (`evaluated` says how many), `sample` rows of detail, and every
    template error."""
    renderer = Renderer(campaign.content)
    at = max(now, campaign.scheduled_at) if campaign.scheduled_at else now
    total, customers = _audience(session, campaign, rules, at)
    counts: dict[str, Counter[str]] = {step: Counter() for step in campaign.steps}
    rows: list[dict[str, Any]] = []
    errors: list[dict[str, Any]] = []
    evaluated = 0
    for customer_id, holdout in customers:
        if evaluated >= max_customers:
            break
        evaluated += 1
        name = session.scalar(select(Customer.name).where(Customer.id == customer_id))
        for step in campaign.steps:
            if holdout:
                decision, reason, detail, when, address, zone, text = (
                    "excluded",
                    "holdout",
                    REASONS["holdout"],
                    None,
                    None,
                    None,
                    None,
                )
            else:
                verdict = assess(
                    session,
                    campaign,
                    renderer,
                    send_id=None,
                    step=step,
                    customer_id=customer_id,
                    rules=rules,
                    now=at,
                    channel=campaign.channels[step],
                )
                decision = {"send": "send", "wait": "send"}.get(verdict.decision, "excluded")
                reason, detail, address, zone = (
                    verdict.reason,
                    verdict.detail,
                    verdict.address,
                    verdict.zone,
                )
                when = verdict.at.isoformat() if verdict.at else None
                text = verdict.parts.get("body")
                if verdict.decision == "fail":
                    errors.append({"customer_id": customer_id, "step": step, "error": detail})
            counts[step][reason or "send"] += 1
            if len(rows) < sample:
                rows.append(
                    {
                        "customer_id": customer_id,
                        "name": name,
                        "step": step,
                        "decision": decision,
                        "at": when,
                        "reason": reason,
                        "why": REASONS.get(reason or "", "") if reason else None,
                        "detail": detail or None,
                        "address": address,
                        "time_zone": zone,
                        "text": text,
                    }
                )
    return {
        "campaign_id": campaign.id,
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
