"""Live WebSocket subscribers per widget session, in this process, and the wake-up that
reaches them from any process.

Every message is in the store before anyone is told of it. `new_messages(session)` says
only "this session has new messages": through `Wakeups` (PostgreSQL LISTEN/NOTIFY with
several processes, bot/wiring hands it in) it reaches the hub of every process, which
queues a `catch_up` for each live socket of the session; the socket then reads what it
has not sent yet from the store. So a reply written by process C reaches a widget held by
process A, in order, with no message content on the wire between them. A wake-up that is
lost (a listener reconnecting) is made good by the periodic `resync` (every local socket
catches up), and a widget that reconnects replays (`after=<seq>`): that stays the
guarantee.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Callable
from typing import Any, Protocol

_QUEUE_LIMIT = 1000
# The wake-up topic of "a web session has new messages" (its key: the session id).
NEW_MESSAGES = "web"
# Every local socket reads the store again (after a listener reconnect, and periodically).
RESYNC = "resync"
CATCH_UP: dict[str, Any] = {"type": "catch_up"}


class Wakeups(Protocol):
    """What the hub needs of crm_store.wakeups.Wakeups (announce to, hear from, every
    process)."""

    def on(self, topic: str, subscriber: Callable[[str], None]) -> None: ...

    def announce(self, topic: str, key: str = "") -> None: ...


class SessionHub:
    def __init__(self, wakeups: Wakeups | None = None) -> None:
        """Without `wakeups` the hub reaches this process's sockets only."""
        self._subscribers: dict[str, set[asyncio.Queue[dict[str, Any]]]] = defaultdict(set)
        self._wakeups = wakeups
        if wakeups is not None:
            wakeups.on(NEW_MESSAGES, self.catch_up)
            wakeups.on(RESYNC, lambda _: self.catch_up_all())

    def new_messages(self, session_id: str) -> None:
        """The session has new messages in the store: its sockets in every process read
        them. Call after the transaction that wrote them has committed."""
        if self._wakeups is None:
            self.catch_up(session_id)
        else:
            self._wakeups.announce(NEW_MESSAGES, session_id)

    def catch_up(self, session_id: str) -> int:
        """Have this process's sockets of the session read the store; returns how many."""
        return self.publish(session_id, CATCH_UP)

    def catch_up_all(self) -> int:
        return sum(self.catch_up(session_id) for session_id in list(self._subscribers))

    def subscribe(self, session_id: str) -> asyncio.Queue[dict[str, Any]]:
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(maxsize=_QUEUE_LIMIT)
        self._subscribers[session_id].add(queue)
        return queue

    def unsubscribe(self, session_id: str, queue: asyncio.Queue[dict[str, Any]]) -> None:
        queues = self._subscribers.get(session_id)
        if queues is None:
            return
        queues.discard(queue)
        if not queues:
            del self._subscribers[session_id]

    def publish(self, session_id: str, event: dict[str, Any]) -> int:
        """Push an event to every live socket of the session; returns how many got it.

        A subscriber too slow to keep 1,000 events queued gets its queue replaced by one
        `resync` event: its socket closes and the widget catches up by replay.
        """
        delivered = 0
        for queue in list(self._subscribers.get(session_id, ())):
            try:
                queue.put_nowait(event)
                delivered += 1
            except asyncio.QueueFull:
                while not queue.empty():
                    queue.get_nowait()
                queue.put_nowait({"type": "resync"})
        return delivered

    def revoke(self, session_id: str, reason: str) -> int:
        """Close every live socket of the session (4401 with `reason`): staff revoked it."""
        return self.publish(session_id, {"type": "revoked", "reason": reason})

    def subscriber_count(self, session_id: str) -> int:
        return len(self._subscribers.get(session_id, ()))
