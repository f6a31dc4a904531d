"""Refuse JSON bodies nested deeper than the limit with 400, before any route parses them.

FastAPI parses a JSON body with `json.loads` before a handler or a dependency runs, and a
document nested about a thousand deep makes it raise RecursionError: a 500. So the depth
is checked here, on every request whose body starts like a JSON array or object
(whatever its content type: `/model/parse` reads JSON sent as anything). Mail, forms and
empty bodies are passed through untouched. Runs inside `BodySizeLimit`, so the body it
reads is already bounded.
"""

from __future__ import annotations

import re

from starlette.types import ASGIApp, Receive, Scope, Send

from bot.api.request_body import read_body, refuse, replaying
from channels.json_depth import JsonTooDeep, check_json_depth

__all__ = ["JsonDepthLimit"]

_JSON_START = re.compile(rb"[ \t\r\n]*[\[{]")


class JsonDepthLimit:
    def __init__(self, app: ASGIApp, *, max_depth: int) -> None:
        self.app = app
        self.max_depth = max_depth

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("method") in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        body = await read_body(receive)
        if body is None:
            return
        if _JSON_START.match(body):
            try:
                check_json_depth(body, self.max_depth)
            except JsonTooDeep as exc:
                await refuse(send, 400, str(exc))
                return
        await self.app(scope, replaying(body, receive), send)
