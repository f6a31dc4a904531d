"""Refuse request bodies larger than the configured limit with 413, before any handler.

Some paths take more (a raw email with attachments): `path_limits` sets their own limit.
"""

from __future__ import annotations

from collections.abc import Mapping

from starlette.types import ASGIApp, Receive, Scope, Send

from bot.api.request_body import BodyTooLarge, read_body, refuse, replaying


class BodySizeLimit:
    def __init__(
        self, app: ASGIApp, *, max_bytes: int, path_limits: Mapping[str, int] | None = None
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.path_limits = dict(path_limits or {})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.path_limits.get(scope.get("path", ""), self.max_bytes)
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await self._refuse(send, limit)
            return
        # Without a trustworthy length (chunked), read up to the limit before the app runs.
        try:
            body = await read_body(receive, limit)
        except BodyTooLarge:
            await self._refuse(send, limit)
            return
        if body is None:
            return
        await self.app(scope, replaying(body, receive), send)

    async def _refuse(self, send: Send, limit: int) -> None:
        await refuse(send, 413, f"request body is larger than {limit} bytes")
