"""What an account summary holds: plain frozen records with their JSON shape.

Money stays in integer minor units (cents) per currency: the store has no exchange
rates, so orders in EUR and USD are never added together.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value


@dataclass(frozen=True, slots=True)
class SummarySubject:
    """A candidate a query found: an account or a customer, with a label to show."""

    kind: str  # account | customer
    id: int
    label: str

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class AccountLine:
    id: int
    name: str
    domain: str | None
    plan: str | None


@dataclass(frozen=True, slots=True)
class Contact:
    id: int
    name: str | None
    email: str | None
    phone: str | None
    lifecycle_stage: str


@dataclass(frozen=True, slots=True)
class CurrencyTotal:
    """Lifetime spend in one currency: the orders counted and their total."""

    currency: str
    orders: int
    total_cents: int


@dataclass(frozen=True, slots=True)
class Purchase:
    number: str
    customer_id: int
    status: str
    total_cents: int
    currency: str
    placed_at: datetime


@dataclass(frozen=True, slots=True)
class TicketLine:
    number: str
    customer_id: int
    subject: str
    status: str
    priority: str
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class ChannelActivity:
    """Messages on one channel in the window: from the customer and to them."""

    channel: str
    inbound: int
    outbound: int


@dataclass(frozen=True, slots=True)
class OpenLead:
    id: int
    customer_id: int
    company: str | None
    interest: str
    status: str
    owner_staff_id: int | None
    owner_name: str | None
    created_at: datetime
    # From the last lead scoring (analytics, table lead_scores); None: not scored yet.
    win_probability: float | None = None
    # The fields that moved the score most: {"field", "value", "odds_ratio"} each.
    top_factors: tuple[dict[str, Any], ...] = ()

    def score_text(self) -> str | None:
        """ "62.0% to win (source_channel web x1.832, ...)" for chat and Slack; None
        unscored. Written as the dashboard writes them (a tenth of a percent, the odds
        ratio to three places), so a lead reads the same figure on both."""
        if self.win_probability is None:
            return None
        factors = ", ".join(
            f"{f['field']} {f['value']} x{round(f['odds_ratio'], 3):g}" for f in self.top_factors
        )
        chance = f"{self.win_probability:.1%} to win"
        return f"{chance} ({factors})" if factors else chance


@dataclass(frozen=True, slots=True)
class AccountSummary:
    """Everything sales asks about an account (all its contacts) or one customer."""

    subject: SummarySubject
    account: AccountLine | None
    lifecycle_stage: str
    contacts: tuple[Contact, ...]
    contacts_total: int
    lifetime_value: tuple[CurrencyTotal, ...]
    order_count: int
    last_purchase: Purchase | None
    open_tickets: tuple[TicketLine, ...]
    open_tickets_total: int
    recently_closed_tickets: tuple[TicketLine, ...]
    recently_closed_total: int
    tickets_last_30_days: int
    interactions_last_90_days: tuple[ChannelActivity, ...]
    open_leads: tuple[OpenLead, ...]
    at_risk: bool
    risk_reasons: tuple[str, ...]
    generated_at: datetime

    def to_json(self) -> dict[str, Any]:
        return _plain(asdict(self))


# -- what a lookup by query found (crm_store.summary_lookup) ---------------------------


@dataclass(frozen=True, slots=True)
class Summary:
    """Exactly one account or customer fits: its summary (`summary.subject` says which)."""

    summary: AccountSummary


@dataclass(frozen=True, slots=True)
class Candidates:
    """Several fit (accounts first, at most `subjects.MAX_CANDIDATES`): ask which one.
    `more`: others fit beyond those listed, so their number is not the count."""

    subjects: tuple[SummarySubject, ...]
    more: bool = False

    def count_text(self) -> str:
        """ "12" or "more than 20": how many fit, said truly when the list was cut."""
        return f"more than {len(self.subjects)}" if self.more else str(len(self.subjects))


@dataclass(frozen=True, slots=True)
class NoMatch:
    """Nothing fits the query. (Not `NotFound`: that name is the store's exception.)
    `suggestions`: names close to it, most alike first, for a misspelt name."""

    query: str
    suggestions: tuple[SummarySubject, ...] = ()


SummaryLookup = Summary | Candidates | NoMatch
