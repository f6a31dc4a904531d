"""The demo's marketing consent ledger: who agreed to offers by email or SMS, and who
later took it back.

Without it a campaign in the demo reaches nobody: marketing by SMS and email needs a
`granted` entry, and a fresh store has none, so the README's re-engagement walk-through
would preview "send 0" with every customer `no_consent`. The shares are chosen to look
like a shop's list (about half opt in to email at checkout, fewer to SMS, a few later
unsubscribe or text STOP). The fixed demo customers get no entry, so their stories stay
as the demo page tells them. A random source of its own keeps the rest of the seed
(orders, tickets, conversations) exactly as it was before consents were seeded.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import timedelta

from crm_store.consents import GRANTED, MARKETING, WITHDRAWN
from crm_store.models import ConsentEntry, Customer
from demo.draw import Draw

__all__ = ["seed_marketing_consents"]

EMAIL_OPT_IN = 0.55
SMS_OPT_IN = 0.40
LATER_WITHDRAWN = 0.08
EMAIL_WORDING = "Yes, email me offers and news from Acme Outfitters."
SMS_WORDING = "Yes, text me offers. Msg & data rates may apply. Reply STOP to opt out."


def seed_marketing_consents(draw: Draw, people: Sequence[Customer], seed: int) -> None:
    """Add the opt-ins (and a few later opt-outs) for the generated customers."""
    rng = random.Random(seed)
    rows: list[ConsentEntry] = []
    for person in people:
        if person.email and rng.random() < EMAIL_OPT_IN:
            rows += _decisions(draw, rng, person, "email", person.email, EMAIL_WORDING)
        if person.phone and rng.random() < SMS_OPT_IN:
            rows += _decisions(draw, rng, person, "sms", person.phone, SMS_WORDING)
    draw.session.add_all(rows)
    draw.session.flush()
    draw.count("consent entries", len(rows))


def _decisions(
    draw: Draw, rng: random.Random, person: Customer, channel: str, address: str, wording: str
) -> list[ConsentEntry]:
    granted_at = draw.ago(rng.uniform(30, 700))
    if person.created_at is not None and granted_at < person.created_at:
        granted_at = person.created_at
    rows = [
        ConsentEntry(
            customer_id=person.id,
            channel=channel,
            address=address,
            purpose=MARKETING,
            decision=GRANTED,
            means="import",
            wording=wording,
            source="demo seed: opted in at checkout",
            recorded_at=granted_at,
        )
    ]
    if rng.random() < LATER_WITHDRAWN:
        rows.append(
            ConsentEntry(
                customer_id=person.id,
                channel=channel,
                address=address,
                purpose=MARKETING,
                decision=WITHDRAWN,
                means="sms_keyword" if channel == "sms" else "unsubscribe_link",
                wording="STOP" if channel == "sms" else None,
                source="demo seed: opted out later",
                recorded_at=granted_at + timedelta(days=rng.uniform(5, 25)),
            )
        )
    return rows
