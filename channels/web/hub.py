"""Live WebSocket subscribers per widget session, in this process.

With several app processes, a reply delivered by one process must reach a socket held
by another; DESIGN.md's answer is PostgreSQL LISTEN/NOTIFY or Redis pub/sub behind this
same interface. Until then nothing is lost: a client that misses a push gets the message
on its next replay (`after=<seq>`), because every message is in the store first.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from typing import Any

_QUEUE_LIMIT = 1000


class SessionHub:
    def __init__(self) -> None:
        self._subscribers: dict[str, set[asyncio.Queue[dict[str, Any]]]] = defaultdict(set)

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
