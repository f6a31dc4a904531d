"""`channels.slack.SlackCallBook` in the CRM store: the Slack call queue (`slack_calls`),
the handoffs' card threads and the Slack events taken, each call in its own transaction
on a worker thread."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from anyio import to_thread

from channels.slack.calls import CardThread
from crm_store import Database, handoffs
from crm_store import slack as store
from crm_store.slack import SlackCallRecord

__all__ = ["StoredSlackCalls"]


class StoredSlackCalls:
    """The Slack call queue's store, for `channels.slack.SlackCallQueue`."""

    def __init__(self, database: Database) -> None:
        self._db = database

    async def claim_due_calls(
        self, *, now: datetime, lease: timedelta, limit: int
    ) -> list[SlackCallRecord]:
        return await to_thread.run_sync(self._claim, now, lease, limit)

    async def next_call_due(self, after: datetime) -> datetime | None:
        return await self._db.read_async(lambda session: store.next_call_due(session, after=after))

    async def card_thread(self, handoff_id: int) -> CardThread | None:
        return await to_thread.run_sync(self._card_thread, handoff_id)

    async def call_done(
        self, call_id: int, result: dict[str, Any], *, card: CardThread | None = None
    ) -> None:
        await to_thread.run_sync(self._done, call_id, result, card)

    async def call_retry(
        self, call_id: int, *, at: datetime, error: str, uncertain: bool, count_attempt: bool
    ) -> None:
        await to_thread.run_sync(self._retry, call_id, at, error, uncertain, count_attempt)

    async def call_failed(self, call_id: int, error: str) -> None:
        await to_thread.run_sync(self._failed, call_id, error)

    async def call_dead(self, call_id: int, error: str) -> None:
        await to_thread.run_sync(self._dead, call_id, error)

    async def release_calls(self, call_ids: list[int]) -> int:
        return await to_thread.run_sync(self._release, call_ids)

    async def forget_events(self, received_before: datetime) -> int:
        return await to_thread.run_sync(self._forget, received_before)

    # -- in a worker thread -----------------------------------------------------------

    def _claim(self, now: datetime, lease: timedelta, limit: int) -> list[SlackCallRecord]:
        with self._db.transaction() as session:
            return store.claim_due_calls(session, now=now, lease=lease, limit=limit)

    def _card_thread(self, handoff_id: int) -> CardThread | None:
        with self._db.transaction() as session:
            handoff = handoffs.get_handoff(session, handoff_id)
        if handoff is None or not handoff.slack_thread_ts:
            return None
        return CardThread(handoff_id, handoff.slack_channel or "", handoff.slack_thread_ts)

    def _done(self, call_id: int, result: dict[str, Any], card: CardThread | None) -> None:
        """The call and, for a card, the handoff's thread: in one transaction, so a card
        is never done without its thread known to the calls queued behind it."""
        with self._db.transaction() as session:
            store.call_done(session, call_id, result)
            if card is not None:
                handoffs.set_slack_thread(session, card.handoff_id, card.channel, card.ts)

    def _retry(
        self, call_id: int, at: datetime, error: str, uncertain: bool, count_attempt: bool
    ) -> None:
        with self._db.transaction() as session:
            store.call_retry(
                session,
                call_id,
                at=at,
                error=error,
                uncertain=uncertain,
                count_attempt=count_attempt,
            )

    def _failed(self, call_id: int, error: str) -> None:
        with self._db.transaction() as session:
            store.call_failed(session, call_id, error)

    def _dead(self, call_id: int, error: str) -> None:
        with self._db.transaction() as session:
            store.call_dead(session, call_id, error)

    def _release(self, call_ids: list[int]) -> int:
        with self._db.transaction() as session:
            return store.release_calls(session, call_ids)

    def _forget(self, received_before: datetime) -> int:
        with self._db.transaction() as session:
            return store.forget_events(session, received_before)
