"""What the Slack desk and its listeners keep in the CRM store: the calls the desk queues
(`channels.slack.ports.DeskCalls`) and the handoff each card's thread belongs to
(`channels.slack.ports.HandoffThreads`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from anyio import to_thread

from crm_store import Database, handoffs
from crm_store import slack as store
from crm_store.models.slack import HANDOFF_CARD

Arguments = dict[str, Any]


class StoredDeskCalls:
    """The Slack call queue as the desk fills it, one short transaction per call."""

    def __init__(self, database: Database) -> None:
        self._db = database

    async def enqueue(
        self, method: str, arguments: Arguments, *, purpose: str, handoff_id: int | None
    ) -> bool:
        return await to_thread.run_sync(self._enqueue, method, arguments, purpose, handoff_id)

    async def enqueue_card_update(
        self, handoff_id: int, redraw: Callable[[Arguments], Arguments]
    ) -> bool:
        return await to_thread.run_sync(self._enqueue_card_update, handoff_id, redraw)

    def _enqueue(
        self, method: str, arguments: Arguments, purpose: str, handoff_id: int | None
    ) -> bool:
        with self._db.transaction() as session:
            if purpose == HANDOFF_CARD and handoff_id is not None and method == "chat.postMessage":
                return store.enqueue_card(session, handoff_id, arguments) is not None
            store.enqueue_call(session, method, arguments, purpose=purpose, handoff_id=handoff_id)
            return True

    def _enqueue_card_update(
        self, handoff_id: int, redraw: Callable[[Arguments], Arguments]
    ) -> bool:
        # The card's arguments are read and its update queued in one transaction; the
        # update goes on the handoff's lane, so it is sent after the card is posted.
        with self._db.transaction() as session:
            card = store.card_call(session, handoff_id)
            if card is None:
                return False
            store.enqueue_call(
                session,
                "chat.update",
                redraw(card.arguments),
                purpose="card_update",
                handoff_id=handoff_id,
            )
            return True


class StoredHandoffThreads:
    """The handoff whose card a Slack thread hangs under: the card the handoff records,
    or any card its calls posted (a second card from before cards were one per handoff
    still leads to its handoff, so a reply there is not lost)."""

    def __init__(self, database: Database) -> None:
        self._db = database

    async def handoff_in_thread(self, channel: str, thread_ts: str) -> int | None:
        return await to_thread.run_sync(self._handoff_in_thread, channel, thread_ts)

    async def holds_cards(self, channel: str) -> bool:
        return await to_thread.run_sync(self._holds_cards, channel)

    def _handoff_in_thread(self, channel: str, thread_ts: str) -> int | None:
        with self._db.transaction() as session:
            handoff = handoffs.handoff_by_slack_thread(session, channel, thread_ts)
            if handoff is not None:
                return handoff.id
            return store.handoff_of_card(session, channel, thread_ts)

    def _holds_cards(self, channel: str) -> bool:
        with self._db.transaction() as session:
            return store.holds_cards(session, channel)
