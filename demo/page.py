"""The demo page: a help page of the fictional store with the chat widget on it.

Mounted at `/` only in development. With the demo on (`SWITCHBOARD_DEMO__ENABLED`, which
`make run` sets) it offers "continue as a demo customer" links and, for `/?as=<email>` of
one of the seed's fixed customers, plays the host site: it signs that customer's identity
for the widget the way a real site's server would, so order and ticket questions can be
tried. With the demo off the page is the anonymous widget only and signs nothing.

The page sends its own Content-Security-Policy: scripts, styles, fonts and connections
from this server only. The one exception is the widget's own `<style>` in its Shadow DOM,
allowed by a per-response nonce the page puts on the widget's script tag (the widget
copies it, as a customer's site with a strict CSP would have it do).
"""

from __future__ import annotations

import html
import secrets
from importlib.resources import files
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse, Response

from channels.web.identity import identity_hash
from demo.seed import DEMO_CUSTOMERS

__all__ = ["DEMO_LINKS", "demo_page_policy", "demo_page_router"]

_STATIC = files("demo") / "static"

# The demo seed's fixed customers: email -> the link text on the demo page.
DEMO_LINKS = {c.email: f"{c.name}: {c.story}" for c in DEMO_CUSTOMERS}


def demo_page_policy(nonce: str) -> str:
    """The demo page's CSP: everything from this server, the widget's style by nonce."""
    return (
        "default-src 'none'; script-src 'self'; "
        f"style-src 'self' 'nonce-{nonce}'; font-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    )


def _demo_link(href: str, label: str, *, current: bool) -> str:
    """One "try it as" link; the one the page is signed as now is marked, since the
    page looks the same for everyone and only the widget's answers differ."""
    link = f'<a href="{html.escape(href)}">{html.escape(label)}</a>'
    if current:
        return (
            f'<li aria-current="true">{link} <strong>(the chat is this visitor now)</strong></li>'
        )
    return f"<li>{link}</li>"


def demo_page_router(identity_secret: str | None) -> APIRouter:
    """`/`: the demo page; with an identity secret (the demo is on), the demo customers'
    signed links. `/demo.css`: its styles."""
    router = APIRouter(include_in_schema=False)

    @router.api_route("/", methods=["GET", "HEAD"])
    async def demo_page(as_: Annotated[str | None, Query(alias="as")] = None) -> HTMLResponse:
        page = (_STATIC / "demo.html").read_text(encoding="utf-8")
        links = identity = ""
        if identity_secret:
            chosen = as_ if as_ in DEMO_LINKS else None
            items = "".join(
                _demo_link(f"/?as={email}", name, current=email == chosen)
                for email, name in DEMO_LINKS.items()
            )
            links = (
                '<aside class="note"><p>Try it as a signed-in demo customer (the page '
                "signs their identity for the widget, as a real site's server would):</p>"
                f"<ul>{items}{_demo_link('/', 'anonymous visitor', current=chosen is None)}"
                "</ul></aside>"
            )
            if as_ in DEMO_LINKS:  # only the seed's fixed customers, never any address
                signed = identity_hash(identity_secret, as_)
                identity = f' data-identifier="{html.escape(as_)}" data-identifier-hash="{signed}"'
        nonce = secrets.token_urlsafe(16)
        page = (
            page.replace("<!--demo-customers-->", links)
            .replace("<!--demo-identity-->", identity)
            .replace("<!--nonce-->", nonce)
        )
        return HTMLResponse(page, headers={"Content-Security-Policy": demo_page_policy(nonce)})

    @router.api_route("/demo.css", methods=["GET", "HEAD"])
    async def demo_styles() -> Response:
        body = (_STATIC / "demo.css").read_text(encoding="utf-8")
        return Response(body, media_type="text/css", headers={"Cache-Control": "no-cache"})

    return router
