"""What the Slack channel keeps in, and reads from, the store: Protocols `bot` implements
(bot/channel_store/slack_*.py), as the SMS and email adapters do. Nothing in this
package opens a database session; the call worker (calls.py) is on its way to the shared
queue worker and brings its own.

The records these methods return (`StaffRecord`, the summary lookup's answers) are the
store's plain frozen dataclasses, imported rather than copied.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from crm_store.records import StaffRecord
from crm_store.summary_records import SummaryLookup

Arguments = dict[str, Any]


class SlackEventLedger(Protocol):
    """Events API deliveries by `event_id`: each taken once, then marked handled or failed."""

    async def take(self, event_id: str, event_type: str, payload: dict[str, Any]) -> bool:
        """Record a delivery; False when this `event_id` was taken before (a retry)."""
        ...

    async def finish(self, event_id: str, error: str | None) -> None:
        """Mark a taken event handled, or failed with `error` (kept for a person to see)."""
        ...


class StaffDirectory(Protocol):
    """Staff users as Slack knows them."""

    async def by_slack_user(self, slack_user_id: str) -> StaffRecord | None:
        """The active staff user with this Slack user id."""
        ...

    async def link_slack_user(self, slack_user_id: str, email: str) -> StaffRecord | None:
        """Give the active staff user with this email (and no other Slack user) this id."""
        ...


class HandoffThreads(Protocol):
    """Which handoff a thread in the handoff channel belongs to (its card's thread)."""

    async def handoff_in_thread(self, channel: str, thread_ts: str) -> int | None:
        """The handoff whose card (any card it ever had) starts this thread."""
        ...

    async def holds_cards(self, channel: str) -> bool:
        """Whether handoff cards are posted in this channel (by Slack's channel id)."""
        ...


class DeskCalls(Protocol):
    """The Slack call queue as the desk fills it; the call worker empties it."""

    async def enqueue(
        self, method: str, arguments: Arguments, *, purpose: str, handoff_id: int | None
    ) -> bool:
        """Queue one Web API call (on the handoff's lane when there is a handoff). A
        handoff's card (`handoff_card`) is queued once: False, and nothing queued, when
        the handoff has its card already."""
        ...

    async def enqueue_card_update(
        self, handoff_id: int, redraw: Callable[[Arguments], Arguments]
    ) -> bool:
        """Queue a `chat.update` of the handoff's card, its arguments drawn by `redraw`
        from the arguments the card was posted with, in one transaction. False (and
        nothing queued) when the handoff has no card."""
        ...


class AccountSummaries(Protocol):
    """Account summaries for sales: who may read them, and the lookup by query."""

    def may_read(self, role: str) -> bool: ...

    async def lookup(self, query: str, staff_id: int | None = None) -> SummaryLookup:
        """The lookup; with `staff_id`, a summary found is audited as read by them."""
        ...


@dataclass(frozen=True, slots=True)
class SlackStore:
    """Everything the Slack channel needs from the store, handed in by `bot`."""

    events: SlackEventLedger
    staff: StaffDirectory
    threads: HandoffThreads
    calls: DeskCalls
    summaries: AccountSummaries
