"""The turns a process works on at once, and the order in which waiting turns start.

Every inbound message's turn (intake, NLU, dialogue, answer) hands work to the same few
store threads, the encoder's queue and the NLU's and search's threads. Let all of them
in at once and, with 1,000 web chat sessions on one process, each transaction waited
about 4 s for a thread; a turn whose request also had to read the latest widget
revocation (once a second, bot/channel_store/widget_sessions.py) waited a third time,
so one turn in ten was overtaken by 250 or more that came after it (bench/README.md,
"Fairness at 1,000 sessions"). Here the turns past `limit` wait in one line, in the
order they came, and the few in progress find the threads' queues short.
"""

from __future__ import annotations

import asyncio
import threading
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

__all__ = ["TURNS_AT_ONCE", "TurnQueue"]

# The encoder's largest micro-batch (knowledge/embeddings.py), so the turns in progress
# can still fill one; 4 per store thread of the default pool of 16. A process with 64
# or fewer customers writing at once never waits here.
TURNS_AT_ONCE = 64


class TurnQueue:
    """At most `limit` turns in progress; the others start in arrival order, each as a
    turn in progress ends (the slot is handed to the first in line, so a newcomer never
    takes it first)."""

    def __init__(self, limit: int = TURNS_AT_ONCE) -> None:
        if limit < 1:
            raise ValueError("a turn queue lets at least one turn in")
        self.limit = limit
        self._in_progress = 0
        self._waiting: deque[asyncio.Future[None]] = deque()
        # Tests drive one app from more than one event loop (their clients' threads).
        self._lock = threading.Lock()

    @property
    def in_progress(self) -> int:
        return self._in_progress

    @property
    def waiting(self) -> int:
        return len(self._waiting)

    @asynccontextmanager
    async def turn(self) -> AsyncIterator[None]:
        """Wait for this turn's place, hold it for the block, then hand it on."""
        await self._admitted()
        try:
            yield
        finally:
            self._hand_on()

    async def _admitted(self) -> None:
        with self._lock:
            if self._in_progress < self.limit and not self._waiting:
                self._in_progress += 1
                return
            place: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self._waiting.append(place)
        try:
            await place
        except asyncio.CancelledError:
            with self._lock:
                handed = place.done() and not place.cancelled()
                if place in self._waiting:
                    self._waiting.remove(place)
            if handed:  # given the slot as it was cancelled: the next in line takes it
                self._hand_on()
            raise

    def _hand_on(self) -> None:
        with self._lock:
            if not self._waiting:
                self._in_progress -= 1
                return
            place = self._waiting.popleft()
        # The slot passes without being freed; on the waiter's own loop (thread-safe).
        try:
            place.get_loop().call_soon_threadsafe(self._give, place)
        except RuntimeError:  # that loop is closed, its waiter gone: the next one's turn
            self._hand_on()

    def _give(self, place: asyncio.Future[None]) -> None:
        if place.cancelled():  # it stopped waiting before the slot reached it
            self._hand_on()
        else:
            place.set_result(None)
