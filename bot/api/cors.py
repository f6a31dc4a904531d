"""Cross-origin requests: the widget's API to every origin, the rest only to listed ones.

The widget runs on customers' own sites and calls `/api/v1/webchat/` with a bearer token
and no cookies, so any origin may (`*`). The staff API (customers, tickets, handoffs,
summaries, the knowledge base) answers browsers on other origins only when their origin
is in `SWITCHBOARD_CORS__STAFF_ORIGINS`; by default no other origin's page may call it.
"""

from __future__ import annotations

from collections.abc import Sequence

from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

_HEADERS = ["Authorization", "Content-Type"]


class CorsByPath:
    """Two CORS policies chosen by path: open under `open_prefix`, listed origins elsewhere."""

    def __init__(self, app: ASGIApp, *, open_prefix: str, staff_origins: Sequence[str]) -> None:
        self._open_prefix = open_prefix.rstrip("/") + "/"
        self._open = CORSMiddleware(
            app, allow_origins=["*"], allow_methods=["GET", "HEAD", "POST"], allow_headers=_HEADERS
        )
        self._staff: ASGIApp = (
            CORSMiddleware(
                app,
                allow_origins=list(staff_origins),
                allow_methods=["GET", "HEAD", "POST", "PATCH", "DELETE"],
                allow_headers=_HEADERS,
            )
            if staff_origins
            else app
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith(self._open_prefix):
            await self._open(scope, receive, send)
        else:
            await self._staff(scope, receive, send)
