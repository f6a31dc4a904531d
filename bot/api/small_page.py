"""The small pages Switchboard serves to people who follow a link from a message (the
unsubscribe page, the survey rating page): plain HTML with inline style, nothing loaded
from elsewhere (no CDN, no script), not cached, no referrer passed on."""

from __future__ import annotations

from html import escape

from fastapi.responses import HTMLResponse

__all__ = ["incomplete_link_page", "small_page"]

_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'",
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
}
_STYLE = "body{font:15px/1.45 system-ui,sans-serif;max-width:36rem;margin:3rem auto;padding:0 1rem}"


def small_page(title: str, body: str, status: int = 200) -> HTMLResponse:
    """A page with `body` (HTML the caller escaped) under `title`."""
    html = (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{escape(title)}'
        f"</title><style>{_STYLE}</style></head><body>{body}</body></html>"
    )
    return HTMLResponse(html, status_code=status, headers=_HEADERS)


def incomplete_link_page(link: str, what_to_do: str) -> HTMLResponse:
    """The page of a `link` (a "rating link") opened without its token (`t`): cut short on
    its way, by a mail client breaking a long line or a copy of part of it. A 400 in
    words with `what_to_do` (HTML the caller escaped), where a required `t` was the app's
    JSON 422 (bot/api/errors.py), which suits API clients, not a person with a browser."""
    return small_page(
        "Link incomplete",
        f"<h1>This {escape(link)} is incomplete.</h1><p>Part of it was lost on the way.</p>"
        f"<p>{what_to_do}</p>",
        400,
    )
