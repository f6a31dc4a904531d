"""Who a campaign was sent to: its ledger read row by row, each recipient and step with
the send's state, the reason it was suppressed or failed, and the delivery status the
provider reported. The report (engagement/report.py) counts the same rows; this names
them, a page at a time in ledger order (`after_id`: the last row's `id` seen), so a
marketer can find the customer behind "failed 3" or "no_consent 120".

`delivery_status` is the message's, as Twilio's status callbacks move it (SMS only:
null on email and web chat, where no provider reports delivery, as in the report).
"""

from __future__ import annotations

from typing import Any, Literal, get_args

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from crm_store.campaigns import CampaignRecord
from crm_store.models import CampaignSend, Customer, Interaction
from engagement.report import REPORTS_DELIVERY
from engagement.rules import REASONS

__all__ = ["STATES", "LedgerState", "recipient_list"]

# The ledger's states: waiting (`queued`), in flight (`claimed`, `sending`), or final.
LedgerState = Literal["queued", "claimed", "sending", "sent", "failed", "suppressed"]
STATES: tuple[str, ...] = get_args(LedgerState)


def recipient_list(
    session: Session,
    campaign: CampaignRecord,
    *,
    state: str | None = None,
    reason: str | None = None,
    step: str | None = None,
    after_id: int = 0,
    limit: int = 100,
) -> dict[str, Any]:
    """A page of the campaign's ledger rows matching the filters, with the counts of
    the whole ledger by state and reason and of the rows matching."""
    of_campaign = CampaignSend.campaign_id == campaign.id
    chosen = [of_campaign]
    if state is not None:
        chosen.append(CampaignSend.state == state)
    if reason is not None:
        chosen.append(CampaignSend.reason == reason)
    if step is not None:
        chosen.append(CampaignSend.step == step)
    rows = session.execute(
        select(
            CampaignSend.id,
            CampaignSend.customer_id,
            Customer.name,
            CampaignSend.step,
            CampaignSend.channel,
            CampaignSend.address,
            CampaignSend.state,
            CampaignSend.reason,
            CampaignSend.detail,
            CampaignSend.attempts,
            CampaignSend.sent_at,
            Interaction.delivery_status,
        )
        .join(Customer, Customer.id == CampaignSend.customer_id)
        .outerjoin(Interaction, Interaction.id == CampaignSend.interaction_id)
        .where(*chosen, CampaignSend.id > after_id)
        .order_by(CampaignSend.id)
        .limit(limit)
    ).all()
    return {
        "campaign_id": campaign.id,
        "name": campaign.name,
        "status": campaign.status,
        "counts": {
            "total": _count(session, [of_campaign]),
            "matching": _count(session, chosen),
            "by_state": _by(session, campaign.id, CampaignSend.state),
            "by_reason": _by(session, campaign.id, CampaignSend.reason),
        },
        "recipients": [
            {
                "id": r.id,
                "customer": {"id": r.customer_id, "name": r.name},
                "step": r.step,
                "channel": r.channel,
                "address": r.address,
                "state": r.state,
                "reason": r.reason,
                "reason_text": REASONS.get(r.reason) if r.reason else None,
                "detail": r.detail,
                "attempts": r.attempts,
                "sent_at": r.sent_at.isoformat() if r.sent_at else None,
                "delivery_status": r.delivery_status if r.channel in REPORTS_DELIVERY else None,
            }
            for r in rows
        ],
        "next_after_id": rows[-1].id if len(rows) == limit else None,
    }


def _count(session: Session, conditions: list[ColumnElement[bool]]) -> int:
    return int(session.scalar(select(func.count(CampaignSend.id)).where(*conditions)) or 0)


def _by(session: Session, campaign_id: int, column: Any) -> dict[str, int]:
    found = session.execute(
        select(column, func.count())
        .where(CampaignSend.campaign_id == campaign_id, column.is_not(None))
        .group_by(column)
    ).all()
    return {str(key): int(count) for key, count in sorted(found)}
