"""Refuse request bodies larger than the configured limit with 413, before any handler.

Some paths take more (a raw email with attachments): `path_limits` sets their own limit.
A path in `head_paths` is not refused here when its body is over: its route gets the
first `head_paths[path]` bytes and, in the scope under `BODY_CUT_KEY`, the body's size
(None when unsaid) and the limit, and answers itself (the email webhook takes in an
oversized mail's header to tell its sender, then answers 413: channels/email/oversize.py).
"""

from __future__ import annotations

from collections.abc import Mapping

from starlette.types import ASGIApp, Receive, Scope, Send

from bot.api.request_body import BodyTooLarge, read_body, refuse, replaying
from channels.email.oversize import BODY_CUT_KEY


class BodySizeLimit:
    def __init__(
        self,
        app: ASGIApp,
        *,
        max_bytes: int,
        path_limits: Mapping[str, int] | None = None,
        head_paths: Mapping[str, int] | None = None,
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.path_limits = dict(path_limits or {})
        self.head_paths = dict(head_paths or {})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        limit = self.path_limits.get(path, self.max_bytes)
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length")
        size = int(declared) if declared is not None and declared.isdigit() else None
        if size is not None and size > limit:
            await self._over(scope, receive, send, limit, size, b"")
            return
        # Without a trustworthy length (chunked), read up to the limit before the app runs.
        try:
            body = await read_body(receive, limit)
        except BodyTooLarge as exc:
            await self._over(scope, receive, send, limit, None, exc.read)
            return
        if body is None:
            return
        await self.app(scope, replaying(body, receive), send)

    async def _over(
        self, scope: Scope, receive: Receive, send: Send, limit: int, size: int | None, read: bytes
    ) -> None:
        head_bytes = self.head_paths.get(scope.get("path", ""))
        if head_bytes is None:
            await self._refuse(send, limit)
            return
        if len(read) < head_bytes:
            try:  # the rest of the head, and no further
                more = await read_body(receive, head_bytes - len(read))
            except BodyTooLarge as exc:
                more = exc.read
            if more is None:
                return  # the client went away
            read += more
        cut = {**scope, BODY_CUT_KEY: {"size": size, "limit": limit}}
        await self.app(cut, replaying(read[:head_bytes], receive), send)

    async def _refuse(self, send: Send, limit: int) -> None:
        await refuse(send, 413, f"request body is larger than {limit} bytes")
