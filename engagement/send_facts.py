"""What the rules read of the store, loaded for a whole batch of sends at once.

The sender claims a batch of ledger rows and checks each at the moment of sending; the
facts those checks read (the customer's fields and address, the consent in force, the
frequency cap's count, whether the number had the SMS opt-out hint) come from one query
per kind of fact for the batch, read after the claim, instead of six or seven queries
per row. The preview loads them for one customer the same way, so both apply the same
rules to the same facts.

Within a batch the frequency cap is counted as the rows are decided, in order: rows
claimed elsewhere count against their customer (two workers cannot each send the last
one allowed); the batch's own rows count once they are decided to be sent
(`undecided`, then `sending`), as if they had been checked one at a time. Otherwise a
customer's first step would count their own second step, claimed with it, and be
capped in its place.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from crm_store import campaign_sends
from crm_store.consents import MARKETING, current_consents
from crm_store.records import ConsentRecord
from engagement.audience_fields import addresses_of, customers_fields
from engagement.templates import CustomerFields

__all__ = ["SendFacts"]


@dataclass(slots=True)
class SendFacts:
    fields: dict[int, CustomerFields]
    addresses: dict[tuple[int, str], str | None]
    consents: dict[tuple[str, str, str], ConsentRecord]  # (channel, address, purpose)
    counted: dict[int, set[int]] = field(default_factory=dict)  # frequency cap: send ids
    hinted: set[str] = field(default_factory=set)  # numbers that had the SMS opt-out hint

    @classmethod
    def load(
        cls,
        session: Session,
        wanted: Collection[tuple[int, str, str]],
        *,
        cap_window: timedelta | None,
        now: datetime,
    ) -> SendFacts:
        """The facts for each `(customer id, channel, purpose)`; `cap_window` None: no
        frequency cap to count."""
        fields = customers_fields(session, {customer_id for customer_id, _, _ in wanted})
        addresses = addresses_of(
            session, fields, {(c, channel) for c, channel, _ in wanted if c in fields}
        )
        by_kind: dict[tuple[str, str], set[str]] = {}
        for customer_id, channel, purpose in wanted:
            address = addresses.get((customer_id, channel))
            if address:
                by_kind.setdefault((channel, purpose), set()).add(address)
        consents = {
            (channel, address, purpose): record
            for (channel, purpose), found in by_kind.items()
            for address, record in current_consents(
                session, channel, sorted(found), purpose=purpose
            ).items()
        }
        marketing = {c for c, _, purpose in wanted if purpose == MARKETING and c in fields}
        counted = (
            campaign_sends.marketing_sends_of(session, marketing, now - cap_window)
            if cap_window is not None and marketing
            else {}
        )
        numbers = by_kind.get(("sms", MARKETING), set())
        hinted = campaign_sends.marketing_sms_sent_to(session, numbers) if numbers else set()
        return cls(fields, addresses, consents, counted, hinted)

    def consent(self, channel: str, address: str, purpose: str) -> ConsentRecord | None:
        return self.consents.get((channel, address, purpose))

    def marketing_sent(self, customer_id: int, *, other_than: int | None) -> int:
        """Marketing messages that count against the customer's cap, `other_than` aside."""
        return len(self.counted.get(customer_id, set()) - {other_than})

    def undecided(self, rows: Collection[tuple[int, int]]) -> None:
        """The batch's `(customer id, send id)` rows: none counts until it is decided."""
        for customer_id, send_id in rows:
            self.not_sending(customer_id, send_id)

    def sending(self, customer_id: int, send_id: int) -> None:
        """The row is decided to be sent: it counts against the cap from now on."""
        self.counted.setdefault(customer_id, set()).add(send_id)

    def not_sending(self, customer_id: int, send_id: int) -> None:
        """The row will not be sent now: it no longer counts against the cap."""
        self.counted.get(customer_id, set()).discard(send_id)
