"""Single-use unsubscribe tokens of campaign mail: a token names its ledger row, and
using it is recorded on the row (`unsubscribed_at`), once."""

from __future__ import annotations

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from crm_store.base import utcnow
from crm_store.models import CampaignSend

__all__ = ["use_token"]


def use_token(session: Session, send_id: int, address: str) -> int | None:
    """Mark the row's token used; its campaign id, or None when the token was used
    already or names a row not sent to `address` (a token cannot move to another)."""
    campaign_id = session.scalar(
        select(CampaignSend.campaign_id).where(
            CampaignSend.id == send_id, func.lower(CampaignSend.address) == address.lower()
        )
    )
    if campaign_id is None:
        return None
    moved = session.execute(
        update(CampaignSend)
        .where(CampaignSend.id == send_id, CampaignSend.unsubscribed_at.is_(None))
        .values(unsubscribed_at=utcnow())
    ).rowcount
    return campaign_id if moved else None
