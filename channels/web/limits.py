"""What the web chat asks of a rate limiter; `bot` implements it (bot/api/throttles.py).

Each method counts one request and answers 0.0 to let it through, or the seconds the
client must wait: then the request is refused and nothing of it is stored.
"""

from __future__ import annotations

from typing import Protocol

from starlette.requests import HTTPConnection

__all__ = ["UNLIMITED", "WebChatLimits"]


class WebChatLimits(Protocol):
    def session_start(self, connection: HTTPConnection) -> float:
        """A new widget session asked for over `connection` (counted per client address)."""
        ...

    def message(self, session_id: str) -> float:
        """A message from one widget session, over HTTP or the WebSocket."""
        ...


class _Unlimited:
    def session_start(self, connection: HTTPConnection) -> float:
        return 0.0

    def message(self, session_id: str) -> float:
        return 0.0


UNLIMITED: WebChatLimits = _Unlimited()
