"""HEAD answered wherever GET is: the same status and headers, no body.

FastAPI routes answer only the methods they name, so `curl -I /docs`, a link checker or
an uptime monitor asking with HEAD got 405 from pages that were up (only `/healthz`
named HEAD itself). HTTP says HEAD is GET without the body (RFC 9110, 9.3.2): a HEAD
is passed on as a GET and the body is dropped on the way out, its Content-Length kept.
A path with no GET still answers HEAD with its 405 or 404. The method asked is kept in
the scope (`ASKED_METHOD`), so the audit log says HEAD for a HEAD.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

ASKED_METHOD = "switchboard.asked_method"


def asked_method(scope: Scope) -> str:
    """The method the client sent: HEAD for a HEAD answered as GET."""
    return str(scope.get(ASKED_METHOD) or scope["method"])


class HeadAsGet:
    """Answer HEAD as GET with the body left out."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def without_body(message: Message) -> None:
            if message["type"] == "http.response.body":
                if message.get("more_body", False):
                    return  # the rest follows; the last part closes the response
                message = {"type": "http.response.body", "body": b"", "more_body": False}
            await send(message)

        await self.app({**scope, "method": "GET", ASKED_METHOD: "HEAD"}, receive, without_body)
