"""The server's rate limits, built from settings: who is counted, and the 429 they get.

- new widget sessions: per client address (`ClientAddress`: the peer, or the forwarded
  address behind a trusted proxy);
- widget messages: per session, over HTTP and the WebSocket together;
- the staff API: per staff token (counted before the token is looked up);
- `POST /model/parse`: per client address.

Over a limit the answer is 429 with `Retry-After` (whole seconds) and a JSON reason in
the API's error shape; nothing of the refused request is stored. The counts are per
process (see bot/api/rate_limits.py for what that means with several processes).
"""

from __future__ import annotations

import hashlib
import time

from fastapi import Request
from starlette.requests import HTTPConnection

from bot.api.client_address import ClientAddress
from bot.api.rate_limits import Clock, RateLimiter
from bot.settings import Rate, RateLimitSettings
from channels.throttling import too_many

__all__ = ["RateLimits"]


class RateLimits:
    """One limiter per kind of request; a kind that is switched off lets everything by."""

    def __init__(self, settings: RateLimitSettings, *, clock: Clock = time.monotonic) -> None:
        def limiter(rate: Rate) -> RateLimiter | None:
            if not settings.enabled:
                return None
            return RateLimiter(rate.per_minute, rate.burst, clock=clock)

        self.client_address = ClientAddress(settings.trusted_proxies)
        self.webchat_sessions = limiter(settings.webchat_sessions)
        self.webchat_messages = limiter(settings.webchat_messages)
        self.staff_api = limiter(settings.staff_api)
        self.nlu_parse = limiter(settings.nlu_parse)

    # The web chat's `WebChatLimits` (channels/web/limits.py).

    def session_start(self, connection: HTTPConnection) -> float:
        return _take(self.webchat_sessions, self.client_address(connection))

    def message(self, session_id: str) -> float:
        return _take(self.webchat_messages, session_id)

    # The API's own routes.

    def check_staff_token(self, token: str) -> None:
        """Count one staff API request of `token`; raise the 429 when over the limit. The
        token is kept only as a hash."""
        key = hashlib.sha256(token.encode()).hexdigest()
        wait = _take(self.staff_api, key)
        if wait:
            raise too_many("staff API requests with this token", wait)

    async def check_nlu_parse(self, request: Request) -> None:
        """A FastAPI dependency of `POST /model/parse`: one request of its client address."""
        wait = _take(self.nlu_parse, self.client_address(request))
        if wait:
            raise too_many("/model/parse requests from this address", wait)


def _take(limiter: RateLimiter | None, key: str) -> float:
    return 0.0 if limiter is None else limiter.take(key)
