"""A campaign's results, computed from the ledger and the store each time (nothing is
kept that could disagree with them).

- sent, failed, suppressed by reason, and queued (not sent yet, or not sent by the
  deadline): the ledger, per step; uncertain: mails whose sender died between the SMTP
  transaction and the ledger write, not sent again (bot/delivery/campaign_queue.py).
- delivered: sent messages whose provider reported delivery (their interaction), on
  the one channel whose provider reports it (SMS, Twilio's status callbacks); null on
  email and web chat, where no report comes, so that no one reads "delivered: 0" as
  "nothing arrived". `sms_segments` likewise for SMS steps only. A step's channel is
  the campaign's (a journey names its steps: "thanks" may be an SMS).
- replies: recipients who wrote on any channel after their first message, within the
  conversion window.
- unsubscribes: recipients who withdrew marketing consent after the send started.
- conversions and lift: a purchase (an order not cancelled or returned) within
  `conversion_days` of the send's start, among the recipients outside the holdout
  against those in it. Until that window has ended (`conversion_window_ends`,
  `conversion_window_open`) the figures are partial: a lift of 0 the day after the
  send is the count so far, not the campaign's effect. Both groups are counted
  whole, reached or not (intent to treat): comparing only the reached with the
  holdout would credit the campaign with whoever was reachable. The lift comes with
  its 95% interval and whether that interval leaves out zero (engagement/lift.py).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, exists, func, select
from sqlalchemy.orm import Session

from crm_store import campaign_sends
from crm_store.base import utcnow
from crm_store.campaigns import CampaignRecord
from crm_store.models import CampaignRecipient, CampaignSend, ConsentEntry, Interaction, Order
from crm_store.orders import NOT_PURCHASES
from engagement.lift import lift_interval
from engagement.rules import REASONS

__all__ = ["campaign_report"]


# The channels whose provider reports delivery (bot/delivery/outbox_queue.py).
REPORTS_DELIVERY = ("sms",)


def _ledger(session: Session, campaign: CampaignRecord) -> dict[str, Any]:
    campaign_id = campaign.id
    steps: dict[str, dict[str, Any]] = {}
    for step, state, reason, count in campaign_sends.tally(session, campaign_id):
        found = steps.setdefault(
            step,
            {
                "sent": 0,
                "failed": 0,
                "uncertain": 0,
                "queued": 0,
                "suppressed": {},
                "failed_by": {},
            },
        )
        if state == "suppressed":
            key = reason or "unknown"
            found["suppressed"][key] = found["suppressed"].get(key, 0) + count
        elif state == "failed":
            found["failed"] += count
            found["failed_by"][reason or "unknown"] = count
        elif state in ("queued", "claimed", "sending"):
            found["queued"] += count
        else:
            found[state] += count
    for step, found in steps.items():
        channel = campaign.channels.get(step, step)
        found["delivered"] = (
            int(
                session.scalar(
                    select(func.count(CampaignSend.id))
                    .join(Interaction, Interaction.id == CampaignSend.interaction_id)
                    .where(
                        CampaignSend.campaign_id == campaign_id,
                        CampaignSend.step == step,
                        Interaction.delivery_status.in_(("delivered", "read")),
                    )
                )
                or 0
            )
            if channel in REPORTS_DELIVERY
            else None
        )
        found["sms_segments"] = (
            int(
                session.scalar(
                    select(func.coalesce(func.sum(CampaignSend.sms_segments), 0)).where(
                        CampaignSend.campaign_id == campaign_id, CampaignSend.step == step
                    )
                )
                or 0
            )
            if channel == "sms"
            else None
        )
    return steps


def campaign_report(
    session: Session, campaign: CampaignRecord, *, now: datetime | None = None
) -> dict[str, Any]:
    """The campaign's results (the module's docstring); `now` decides whether the
    conversion window is still open (default: the current time)."""
    now = now or utcnow()
    steps = _ledger(session, campaign)
    start = campaign.started_at
    report: dict[str, Any] = {
        "campaign_id": campaign.id,
        "name": campaign.name,
        "status": campaign.status,
        "scheduled_at": campaign.scheduled_at.isoformat() if campaign.scheduled_at else None,
        "started_at": start.isoformat() if start else None,
        "start_delay_seconds": campaign.start_delay_seconds,
        "finished_at": campaign.finished_at.isoformat() if campaign.finished_at else None,
        "steps": steps,
        "reasons": REASONS,
    }
    if start is None:
        return report
    window_end = start + timedelta(days=campaign.conversion_days)
    recipients = select(CampaignRecipient.customer_id, CampaignRecipient.holdout).where(
        CampaignRecipient.campaign_id == campaign.id
    )
    first_sent = (
        select(CampaignSend.customer_id, func.min(CampaignSend.sent_at).label("at"))
        .where(CampaignSend.campaign_id == campaign.id, CampaignSend.state == "sent")
        .group_by(CampaignSend.customer_id)
        .subquery()
    )
    replies = session.scalar(
        select(func.count())
        .select_from(first_sent)
        .where(
            exists().where(
                Interaction.customer_id == first_sent.c.customer_id,
                Interaction.direction == "in",
                Interaction.created_at > first_sent.c.at,
                Interaction.created_at <= window_end,
            )
        )
    )
    unsubscribes = session.scalar(
        select(func.count(func.distinct(ConsentEntry.customer_id))).where(
            ConsentEntry.customer_id.in_(
                select(CampaignRecipient.customer_id).where(
                    CampaignRecipient.campaign_id == campaign.id
                )
            ),
            ConsentEntry.purpose == "marketing",
            ConsentEntry.decision == "withdrawn",
            ConsentEntry.recorded_at >= start,
        )
    )
    groups: dict[str, dict[str, Any]] = {}
    for holdout, label in ((False, "audience"), (True, "holdout")):
        members = recipients.where(CampaignRecipient.holdout.is_(holdout)).subquery()
        size = int(session.scalar(select(func.count()).select_from(members)) or 0)
        converted = int(
            session.scalar(
                select(func.count())
                .select_from(members)
                .where(
                    exists().where(
                        and_(
                            Order.customer_id == members.c.customer_id,
                            Order.status.not_in(NOT_PURCHASES),
                            Order.placed_at > start,
                            Order.placed_at <= window_end,
                        )
                    )
                )
            )
            or 0
        )
        groups[label] = {
            "customers": size,
            "converted": converted,
            "rate": round(converted / size, 4) if size else None,
        }
    treated, held = groups["audience"]["rate"], groups["holdout"]["rate"]
    interval = lift_interval(
        groups["audience"]["converted"],
        groups["audience"]["customers"],
        groups["holdout"]["converted"],
        groups["holdout"]["customers"],
    )
    report.update(
        {
            "reached": int(session.scalar(select(func.count()).select_from(first_sent)) or 0),
            "replies": int(replies or 0),
            "unsubscribes": int(unsubscribes or 0),
            "conversion_days": campaign.conversion_days,
            "conversion_window_ends": window_end.isoformat(),
            "conversion_window_open": now < window_end,
            "conversions": groups,
            # Percentage points of conversion the campaign added over the holdout.
            "lift_points": round((treated - held) * 100, 2)
            if treated is not None and held is not None
            else None,
            # Its 95% interval (engagement/lift.py), and whether that leaves out no lift
            # at all: with a holdout of a few customers, a lift of 15 points can be chance.
            "lift_interval_points": [round(end * 100, 2) for end in interval]
            if interval is not None
            else None,
            "lift_beyond_chance": interval is not None and (interval[0] > 0 or interval[1] < 0),
        }
    )
    return report
