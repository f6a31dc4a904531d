"""Trailing-slash redirects that never name a host.

Starlette answers `/api/v1/customers/` with a redirect to `/api/v1/customers`, and builds
its `Location` from the request's `Host` header: `Host: evil.example` got `Location:
http://evil.example/...`, a redirect an attacker steers (cache poisoning, phishing
through a trusted link). Here the same redirect carries only the path and query, a
relative reference (RFC 9110 §10.2.2) that every browser and HTTP client resolves against
the URL it asked, so the client stays on the host it reached.

Why not a trusted-hosts list (400 for other `Host` headers): this redirect is the only
place Switchboard turns `Host` into a URL (links it sends use `PUBLIC_BASE_URL`), and a
list would be one more setting to get wrong behind a proxy, a load balancer's health
check by IP, or a provider calling the public name.
"""

from __future__ import annotations

from urllib.parse import quote

from starlette.responses import RedirectResponse
from starlette.routing import Match, Router, get_route_path
from starlette.types import ASGIApp, Receive, Scope, Send

# What may stay unescaped in a path (RFC 3986 pchar and "/"); the rest is percent-encoded.
_PATH_SAFE = "/:@!$&'()*+,;="


def redirect_slashes_relatively(router: Router) -> None:
    """Replace `router`'s slash redirects with relative ones; other misses stay 404."""
    router.redirect_slashes = False
    router.default = _SlashRedirect(router, router.default)


class _SlashRedirect:
    """The router's fallback: the path with its trailing slash toggled, if that matches."""

    def __init__(self, router: Router, not_found: ASGIApp) -> None:
        self._router = router
        self._not_found = not_found

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        location = self._relative_location(scope) if scope["type"] == "http" else None
        if location is None:
            await self._not_found(scope, receive, send)
            return
        await RedirectResponse(location)(scope, receive, send)

    def _relative_location(self, scope: Scope) -> str | None:
        if get_route_path(scope) == "/":
            return None
        path: str = scope["path"]
        other = {**scope, "path": path.rstrip("/") if path.endswith("/") else path + "/"}
        if not any(route.matches(other)[0] is not Match.NONE for route in self._router.routes):
            return None
        # One leading slash: "//host/..." would be read as another host.
        location = "/" + quote(other["path"], safe=_PATH_SAFE).lstrip("/")
        query = scope.get("query_string", b"").decode("latin-1")
        return f"{location}?{query}" if query else location
