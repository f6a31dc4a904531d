"""Security headers on every HTTP response, as one middleware.

Every response says `nosniff` (a browser never guesses a script or page out of a JSON or
text body), may not be framed (`X-Frame-Options: DENY`, with `frame-ancestors 'none'`
for browsers that read only the CSP) and sends a referrer only to its own origin in full
(`strict-origin-when-cross-origin`). A response without a Content-Security-Policy of
its own (JSON, the widget script, errors) gets one that allows nothing, which is the
right policy for anything that is not a page; the pages (the demo page, the API docs)
set the policy they need themselves, and keep it.

Nothing here limits the widget on other sites: a CSP applies to the document that
receives it, not to a script another site loads, and no Cross-Origin-Resource-Policy is
sent, so customers' pages keep loading `/widget.js`.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

NOTHING_ALLOWED = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'"

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "strict-origin-when-cross-origin",
}


class SecurityHeaders:
    """Add the headers above to each HTTP response; a page's own CSP wins."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers[name] = value
                if "content-security-policy" not in headers:
                    headers["Content-Security-Policy"] = NOTHING_ALLOWED
            await send(message)

        await self.app(scope, receive, send_with_headers)
