"""Consents: whether an address may be sent messages on a channel (opted in or out).

One row per (channel, address, purpose) holds the current state; an SMS STOP turns it
to `opted_out`, START back to `opted_in`. Delivery checks it before every send.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from crm_store.base import utcnow
from crm_store.models import Consent
from crm_store.records import ConsentRecord

OPTED_IN = "opted_in"
OPTED_OUT = "opted_out"
MESSAGES = "messages"


def _record(row: Consent) -> ConsentRecord:
    return ConsentRecord(
        id=row.id,
        customer_id=row.customer_id,
        channel=row.channel,
        address=row.address,
        purpose=row.purpose,
        status=row.status,
        source=row.source,
        recorded_at=row.recorded_at,
    )


def _row(session: Session, channel: str, address: str, purpose: str) -> Consent | None:
    return session.scalars(
        select(Consent)
        .where(Consent.channel == channel, Consent.address == address, Consent.purpose == purpose)
        .with_for_update()
    ).one_or_none()


def record_consent(
    session: Session,
    *,
    channel: str,
    address: str,
    status: str,
    source: str,
    customer_id: int | None = None,
    purpose: str = MESSAGES,
) -> ConsentRecord:
    """Set the consent of an address. Saying the same again keeps the first time said,
    so a provider retry of STOP does not move the opt-out's time."""
    if status not in (OPTED_IN, OPTED_OUT):
        raise ValueError(f"consent status must be {OPTED_IN} or {OPTED_OUT}, not {status!r}")
    row = _row(session, channel, address, purpose)
    if row is None:
        try:
            with session.begin_nested():  # a concurrent first STOP may insert first
                row = Consent(
                    customer_id=customer_id,
                    channel=channel,
                    address=address,
                    purpose=purpose,
                    status=status,
                    source=source[:100],
                    recorded_at=utcnow(),
                )
                session.add(row)
            return _record(row)
        except IntegrityError:
            row = _row(session, channel, address, purpose)
            assert row is not None
    if row.status != status:
        row.status = status
        row.source = source[:100]
        row.recorded_at = utcnow()
        row.customer_id = row.customer_id or customer_id
        session.flush()
    return _record(row)


def current_consent(
    session: Session, channel: str, address: str, *, purpose: str = MESSAGES
) -> ConsentRecord | None:
    row = session.scalars(
        select(Consent).where(
            Consent.channel == channel, Consent.address == address, Consent.purpose == purpose
        )
    ).one_or_none()
    return _record(row) if row is not None else None


def opt_out_of(
    session: Session, channel: str, address: str, *, purpose: str = MESSAGES
) -> ConsentRecord | None:
    """The opt-out in force for this address, or None when it may be sent messages."""
    consent = current_consent(session, channel, address, purpose=purpose)
    return consent if consent is not None and consent.opted_out else None
