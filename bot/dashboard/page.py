"""`/staff/`: the staff dashboard page, its script and styles, and the charting library.

Everything the page loads is served by Switchboard: its own files from this package's
`static/`, and Plotly's JavaScript bundle (`plotly.min.js`, MIT) from the installed
`plotly` PyPI package's data, so the page works on a machine with no internet access and
nothing of Plotly is copied into this repository. Chosen over lighter libraries because
it is maintained, ships its browser bundle inside a PyPI package, and draws every chart
the page needs (heatmap, histogram, bars, lines) with hover values and PNG export.

The page sends its own Content-Security-Policy: scripts only from this server and no
inline script; styles from this server plus inline ones, because Plotly writes its own
`<style>` rules and style attributes at run time; images from this server, `data:` and
`blob:` (Plotly's PNG export). The page itself holds no data and needs no sign-in: what
it shows comes from the API, which checks the session cookie on every call.
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files

from fastapi import APIRouter, HTTPException
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from bot.api.support_reports import MAX_DAYS

__all__ = ["PAGE_PATH", "dashboard_router", "page_policy"]

PAGE_PATH = "/staff/"
ASSETS_PATH = "/staff/assets"
_STATIC = files("bot.dashboard") / "static"
# name -> (where it is, media type, seconds a browser may keep it)
_ASSETS = {
    "staff.js": (_STATIC / "staff.js", "text/javascript", 0),
    "staff.css": (_STATIC / "staff.css", "text/css", 0),
    "plotly.min.js": (files("plotly") / "package_data" / "plotly.min.js", "text/javascript", 86400),
}


@cache
def _asset_bytes(name: str) -> bytes:
    """An asset's bytes, read once per process (the files change only with a release)."""
    return _ASSETS[name][0].read_bytes()


def page_policy() -> str:
    return (
        "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data: blob:; font-src 'self'; connect-src 'self'; "
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    )


def dashboard_router() -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.api_route(PAGE_PATH, methods=["GET", "HEAD"])
    async def dashboard_page() -> HTMLResponse:
        # The longest range a support report covers, from where the API defines it.
        body = (_STATIC / "staff.html").read_text(encoding="utf-8")
        body = body.replace("{support_max_days}", str(MAX_DAYS))
        return HTMLResponse(
            body,
            headers={"Content-Security-Policy": page_policy(), "Cache-Control": "no-cache"},
        )

    @router.api_route(PAGE_PATH.rstrip("/"), methods=["GET", "HEAD"])
    async def dashboard_without_slash() -> RedirectResponse:
        return RedirectResponse(PAGE_PATH, status_code=308)

    @router.api_route(ASSETS_PATH + "/{name}", methods=["GET", "HEAD"])
    async def asset(name: str) -> Response:
        found = _ASSETS.get(name)
        if found is None:
            raise HTTPException(404, f"no dashboard asset {name!r}")
        _, media_type, max_age = found
        keep = f"max-age={max_age}" if max_age else "no-cache"
        return Response(_asset_bytes(name), media_type=media_type, headers={"Cache-Control": keep})

    return router
