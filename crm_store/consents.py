"""The consent ledger: whether an address may be sent messages, and for what.

Every decision is a new row of `consent_ledger` (granted or withdrawn, per channel,
address and purpose, with the means and the words shown); nothing is edited in place, so
the ledger proves who agreed to what and when. The consent in force is derived: the
newest entry per (channel, address, purpose). No entry means nothing was ever said,
which for `service` (answers to what the customer asked) is consent by their writing,
and for `marketing` and `surveys` is left to the sender to decide.

Purposes (decided here): `service` covers the bot's and agents' answers and notices;
`marketing` campaigns and offers; `surveys` satisfaction questions. An SMS STOP or "stop
writing to me" withdraws all three on that channel (carriers require STOP to stop
everything); the web chat's opt-out withdraws `marketing` only, since the chat only ever
answers the visitor.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import func, or_, select, tuple_
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement

from crm_store.base import utcnow
from crm_store.models import ConsentEntry, Identity
from crm_store.records import ConsentRecord

GRANTED = "granted"
WITHDRAWN = "withdrawn"
DECISIONS = (GRANTED, WITHDRAWN)

MARKETING = "marketing"
SERVICE = "service"
SURVEYS = "surveys"
PURPOSES = (MARKETING, SERVICE, SURVEYS)

# How a decision reached us. `conversation`: said in words to the bot; `provider`: the
# provider reports the recipient unsubscribed with them (Twilio 21610). The others as named.
MEANS = (
    "sms_keyword",
    "unsubscribe_link",
    "widget",
    "staff",
    "import",
    "migration",
    "conversation",
    "provider",
)

__all__ = [
    "DECISIONS",
    "GRANTED",
    "MARKETING",
    "MEANS",
    "PURPOSES",
    "SERVICE",
    "SURVEYS",
    "WITHDRAWN",
    "ConsentRecord",
    "consents_of",
    "current_consent",
    "current_consents",
    "ledger_of",
    "opt_out_of",
    "opt_outs_among",
    "record_consent",
]


def _record(row: ConsentEntry) -> ConsentRecord:
    return ConsentRecord(
        id=row.id,
        customer_id=row.customer_id,
        channel=row.channel,
        address=row.address,
        purpose=row.purpose,
        decision=row.decision,
        means=row.means,
        wording=row.wording,
        source=row.source,
        recorded_at=row.recorded_at,
    )


def _newest(session: Session, channel: str, address: str, purpose: str) -> ConsentEntry | None:
    return session.scalars(
        select(ConsentEntry)
        .where(
            ConsentEntry.channel == channel,
            ConsentEntry.address == address,
            ConsentEntry.purpose == purpose,
        )
        .order_by(ConsentEntry.id.desc())
        .limit(1)
    ).one_or_none()


def record_consent(
    session: Session,
    *,
    channel: str,
    address: str,
    decision: str,
    means: str,
    source: str,
    purposes: Sequence[str] = PURPOSES,
    customer_id: int | None = None,
    wording: str | None = None,
) -> list[ConsentRecord]:
    """Add the decision for each purpose whose consent in force says otherwise, and
    return the consent in force for each purpose. Saying the same again adds nothing,
    so a provider retry of STOP does not move the opt-out's time. Without `customer_id`
    the customer holding the address (if any) is named."""
    if decision not in DECISIONS:
        raise ValueError(f"a consent decision is {GRANTED} or {WITHDRAWN}, not {decision!r}")
    if means not in MEANS:
        raise ValueError(f"unknown consent means {means!r}: one of {', '.join(MEANS)}")
    for purpose in purposes:
        if purpose not in PURPOSES:
            raise ValueError(f"unknown consent purpose {purpose!r}: one of {', '.join(PURPOSES)}")
    if customer_id is None:
        customer_id = session.scalar(
            select(Identity.customer_id).where(
                Identity.channel == channel, Identity.address == address
            )
        )
    now = utcnow()
    current: list[ConsentRecord] = []
    for purpose in purposes:
        newest = _newest(session, channel, address, purpose)
        if newest is None or newest.decision != decision:
            newest = ConsentEntry(
                customer_id=customer_id,
                channel=channel,
                address=address,
                purpose=purpose,
                decision=decision,
                means=means,
                wording=wording,
                source=source[:200],
                recorded_at=now,
            )
            session.add(newest)
            session.flush()
        current.append(_record(newest))
    return current


def current_consent(
    session: Session, channel: str, address: str, *, purpose: str = SERVICE
) -> ConsentRecord | None:
    """The consent in force for this address and purpose; None when none was ever said."""
    newest = _newest(session, channel, address, purpose)
    return _record(newest) if newest is not None else None


def current_consents(
    session: Session, channel: str, addresses: Sequence[str], *, purpose: str
) -> dict[str, ConsentRecord]:
    """The consent in force for each of `addresses` (one query for a batch of sends);
    an address never said anything about is absent."""
    if not addresses:
        return {}
    newest = (
        select(func.max(ConsentEntry.id))
        .where(
            ConsentEntry.channel == channel,
            ConsentEntry.address.in_(list(set(addresses))),
            ConsentEntry.purpose == purpose,
        )
        .group_by(ConsentEntry.address)
    )
    rows = session.scalars(select(ConsentEntry).where(ConsentEntry.id.in_(newest)))
    return {row.address: _record(row) for row in rows}


def opt_out_of(
    session: Session, channel: str, address: str, *, purpose: str = SERVICE
) -> ConsentRecord | None:
    """The withdrawal in force for this address, or None when it may be sent messages
    for `purpose`."""
    consent = current_consent(session, channel, address, purpose=purpose)
    return consent if consent is not None and consent.opted_out else None


def opt_outs_among(
    session: Session, wanted: Iterable[tuple[str, str, str]]
) -> dict[tuple[str, str, str], ConsentRecord]:
    """`opt_out_of` for many (channel, address, purpose) at once, in one statement: the
    withdrawals in force among them, by key (the outbox reads its claimed batch's)."""
    keys = set(wanted)
    if not keys:
        return {}
    key = (ConsentEntry.channel, ConsentEntry.address, ConsentEntry.purpose)
    newest = select(func.max(ConsentEntry.id)).where(tuple_(*key).in_(keys)).group_by(*key)
    rows = session.scalars(select(ConsentEntry).where(ConsentEntry.id.in_(newest)))
    found = (_record(row) for row in rows)
    return {(c.channel, c.address, c.purpose): c for c in found if c.opted_out}


def _of_customer(customer_id: int) -> ColumnElement[bool]:
    """Entries naming the customer, or for an address the customer holds now (a STOP
    may have come before the number was anyone's)."""
    addresses = select(Identity.channel, Identity.address).where(
        Identity.customer_id == customer_id
    )
    return or_(
        ConsentEntry.customer_id == customer_id,
        tuple_(ConsentEntry.channel, ConsentEntry.address).in_(addresses),
    )


def ledger_of(session: Session, customer_id: int) -> list[ConsentRecord]:
    """Every entry about the customer, oldest first."""
    rows = session.scalars(
        select(ConsentEntry).where(_of_customer(customer_id)).order_by(ConsentEntry.id)
    )
    return [_record(row) for row in rows]


def consents_of(session: Session, customer_id: int) -> list[ConsentRecord]:
    """The consent in force for each (channel, address, purpose) of the customer."""
    newest = (
        select(func.max(ConsentEntry.id))
        .where(_of_customer(customer_id))
        .group_by(ConsentEntry.channel, ConsentEntry.address, ConsentEntry.purpose)
    )
    rows = session.scalars(
        select(ConsentEntry).where(ConsentEntry.id.in_(newest)).order_by(ConsentEntry.id)
    )
    return [_record(row) for row in rows]
