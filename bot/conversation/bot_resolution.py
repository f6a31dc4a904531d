"""The bot resolving what it answered: a conversation whose last message is the bot's
answer, left by the customer for `SUPPORT__BOT_RESOLVES_AFTER_MINUTES`, is resolved by
the bot (the event log's `conversation.resolved` with actor `bot`), and the customer is
asked for a rating. Writing again reopens it as a new care cycle, and the report does
not count a resolution reopened within 7 days (analytics/support/cycles.py). The
report's resolution time of such a cycle runs to the bot's answer, not to this
resolution, which comes the idle time later (cycles.py, `_answered`).

Why idleness and not "thanks": most customers who got their answer just leave; the
ones who write "thanks" do so in the idle window and the bot's reply to it is again an
answer-less message, so they are not resolved by it (their next idle spell after an
answer is)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from anyio import to_thread

from bot.surveys import SurveyPolicy, ask_after_resolution
from crm_store import Database, history
from crm_store.base import utcnow
from crm_store.idle_conversations import left_after_an_answer

log = logging.getLogger(__name__)

__all__ = ["BotResolver"]


class BotResolver:
    """A `bot.workers.Worker`: every `interval_seconds`, resolves the idle answered
    conversations and asks their surveys, one transaction each."""

    def __init__(
        self,
        database: Database,
        *,
        idle: timedelta,
        surveys: SurveyPolicy,
        outbox_written: Callable[[], None] = lambda: None,
        interval_seconds: float = 60.0,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._db = database
        self._idle = idle
        self._surveys = surveys
        self._outbox_written = outbox_written
        self._interval = interval_seconds
        self._clock = clock
        self._stopping = asyncio.Event()

    def resolve_idle(self) -> int:
        """One sweep; returns how many conversations the bot resolved."""
        idle_since = self._clock() - self._idle
        with self._db.transaction() as session:
            found = left_after_an_answer(session, idle_since=idle_since)
        resolved = 0
        for conversation_id in found:
            with self._db.transaction() as session:
                done = history.resolve(
                    session,
                    conversation_id,
                    actor="bot",
                    data={"reason": "answered_then_idle"},
                    idle_since=idle_since,
                )
                if done is None:  # the customer wrote, or a person took it, meanwhile
                    continue
                ask_after_resolution(session, conversation_id, self._surveys)
                resolved += 1
        if resolved:
            self._outbox_written()
            log.info("the bot resolved idle answered conversations", extra={"count": resolved})
        return resolved

    async def run(self) -> None:
        while not self._stopping.is_set():
            try:
                await to_thread.run_sync(self.resolve_idle)
            except Exception:
                log.exception("resolving idle conversations failed; trying again later")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), self._interval)

    async def stop(self, grace_seconds: float) -> None:
        self._stopping.set()
