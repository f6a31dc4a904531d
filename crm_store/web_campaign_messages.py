"""Web chat campaign messages: for the customer, shown by one widget session, once.

A campaign message on web chat is written into the customer's latest widget
conversation (engagement/history_entry.py), and noted here (`note_written`). The widget
has no read receipts: what a widget shows is what it fetched (its replay on connect,
its catch-up when woken, or a read over HTTP). So the first widget session that
fetches the message is recorded as the one that showed it (`shown_in_session`), and a
new widget session of the customer carries over, once, those of the recent ones that no
widget has shown yet (`carry_into_new_session`): copied into its own conversation.

Exactly once across sessions and processes: `shown_session` is set by a conditional
UPDATE (`... WHERE shown_at IS NULL`), one statement that one session wins. On
PostgreSQL a second UPDATE of the same row waits for the first's row lock and then
finds the row shown; on SQLite writers take turns. Two tabs opening new sessions at the
same moment therefore carry each message into one of them, and the session a message
was written to does not show it once another showed it. Channel names are passed in:
this package knows no channel.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from crm_store import history
from crm_store.consents import opt_outs_among
from crm_store.customers import find_by_contact, normalise_email
from crm_store.models import CampaignSend, Conversation, Identity, Interaction, WebCampaignMessage
from crm_store.records import InteractionRecord, NewInteraction

__all__ = [
    "CampaignMessageShown",
    "carry_into_new_session",
    "note_written",
    "showings_in",
    "shown_in_session",
    "waiting_for_new_session",
]

# What a carried copy keeps of the original's attributes (the ledger row stays the
# original's: the copy is a showing, not a second send).
_KEPT = ("campaign_id", "campaign_step")


def note_written(session: Session, messages: Sequence[InteractionRecord]) -> None:
    """Web campaign messages just logged, in the same transaction: no widget showed
    them yet."""
    if not messages:
        return
    session.execute(
        insert(WebCampaignMessage),
        [
            {
                "interaction_id": message.id,
                "customer_id": message.customer_id,
                "written_at": message.created_at,
            }
            for message in messages
        ],
    )


@dataclass(frozen=True, slots=True)
class CampaignMessageShown:
    """A web campaign message among a conversation's messages, and the widget session
    that showed it (None: none yet)."""

    interaction_id: int
    seq: int
    shown_session: str | None


def showings_in(
    session: Session, conversation_id: int, seqs: Collection[int]
) -> list[CampaignMessageShown]:
    """The web campaign messages among the conversation's messages `seqs` (a read)."""
    if not seqs:
        return []
    rows = session.execute(
        select(WebCampaignMessage.interaction_id, Interaction.seq, WebCampaignMessage.shown_session)
        .join(Interaction, Interaction.id == WebCampaignMessage.interaction_id)
        .where(Interaction.conversation_id == conversation_id, Interaction.seq.in_(list(seqs)))
    )
    return [CampaignMessageShown(*row) for row in rows]


def shown_in_session(
    session: Session, interaction_ids: Collection[int], session_id: str, *, now: datetime
) -> dict[int, str]:
    """Record the widget session `session_id` as the one that showed each of these
    messages no session showed yet; returns the session that showed each (this one, or
    the one that got there first)."""
    if not interaction_ids:
        return {}
    ids = list(interaction_ids)
    session.execute(
        update(WebCampaignMessage)
        .where(WebCampaignMessage.interaction_id.in_(ids), WebCampaignMessage.shown_at.is_(None))
        .values(shown_at=now, shown_session=session_id)
    )
    rows = session.execute(
        select(WebCampaignMessage.interaction_id, WebCampaignMessage.shown_session).where(
            WebCampaignMessage.interaction_id.in_(ids)
        )
    )
    return {interaction_id: shown or "" for interaction_id, shown in rows}


def waiting_for_new_session(
    session: Session, *, channel: str, session_id: str, verified_email: str, since: datetime
) -> bool:
    """Whether `carry_into_new_session` may find something to carry (reads only: most
    new sessions have nothing waiting, and then need no write)."""
    if _identity_of(session, channel, session_id) is not None:
        return False
    customer = find_by_contact(session, email=normalise_email(verified_email), phone=None)
    if customer is None:
        return False
    waiting = session.scalar(
        select(WebCampaignMessage.interaction_id)
        .where(
            WebCampaignMessage.customer_id == customer.id,
            WebCampaignMessage.shown_at.is_(None),
            WebCampaignMessage.written_at >= since,
        )
        .limit(1)
    )
    return waiting is not None


def carry_into_new_session(
    session: Session,
    *,
    channel: str,
    session_id: str,
    verified_email: str,
    since: datetime,
    now: datetime,
) -> list[InteractionRecord]:
    """Carry into a new widget session, whose host page signed in `verified_email`, the
    customer's web campaign messages written since `since` that no widget has shown;
    returns the copies, oldest first (none: nothing to carry, then nothing is written).

    New means the store has no identity for the session yet (it never wrote, and
    nothing was carried into it). Carrying claims the messages for this session (the
    conditional UPDATE), then gives the session its identity (verified, the customer's)
    and a conversation, created resolved as a campaign's is (engagement/history_entry.py:
    the customer's first message reopens it), holding the copies. A message whose
    campaign's purpose the customer has since withdrawn on the address it was sent to
    is not carried."""
    if _identity_of(session, channel, session_id) is not None:
        return []
    customer = find_by_contact(session, email=normalise_email(verified_email), phone=None)
    if customer is None:
        return []
    candidates = session.execute(
        select(WebCampaignMessage.interaction_id, CampaignSend.address, CampaignSend.purpose)
        .outerjoin(CampaignSend, CampaignSend.interaction_id == WebCampaignMessage.interaction_id)
        .where(
            WebCampaignMessage.customer_id == customer.id,
            WebCampaignMessage.shown_at.is_(None),
            WebCampaignMessage.written_at >= since,
        )
    ).all()
    withdrawn = opt_outs_among(
        session, [(channel, address, purpose) for _, address, purpose in candidates if address]
    )
    wanted = [
        interaction_id
        for interaction_id, address, purpose in candidates
        if (channel, address, purpose) not in withdrawn
    ]
    if not wanted:
        return []
    claimed = list(
        session.scalars(
            update(WebCampaignMessage)
            .where(
                WebCampaignMessage.interaction_id.in_(wanted),
                WebCampaignMessage.shown_at.is_(None),
            )
            .values(shown_at=now, shown_session=session_id)
            .returning(WebCampaignMessage.interaction_id)
        )
    )
    if not claimed:
        return []
    originals = session.scalars(
        select(Interaction)
        .where(Interaction.id.in_(claimed))
        .order_by(Interaction.created_at, Interaction.id)
    ).all()
    identity = Identity(customer_id=customer.id, channel=channel, address=session_id, verified=True)
    session.add(identity)
    session.flush()
    conversation = Conversation(
        customer_id=customer.id,
        identity_id=identity.id,
        channel=channel,
        status="resolved",
        resolved_at=now,
        last_seq=0,
    )
    session.add(conversation)
    session.flush()
    record = history.conversation_record(conversation)
    copies = history.append_many(
        session,
        [
            (
                record,
                NewInteraction(
                    "out",
                    original.author,
                    original.text,
                    delivery_status="sent",
                    attributes={
                        **{k: original.attributes[k] for k in _KEPT if k in original.attributes},
                        "carried_from_interaction_id": original.id,
                    },
                ),
            )
            for original in originals
        ],
    )
    for original, copy in zip(originals, copies, strict=True):
        session.execute(
            update(WebCampaignMessage)
            .where(WebCampaignMessage.interaction_id == original.id)
            .values(carried_interaction_id=copy.id)
        )
    return copies


def _identity_of(session: Session, channel: str, address: str) -> int | None:
    return session.scalar(
        select(Identity.id).where(Identity.channel == channel, Identity.address == address)
    )
