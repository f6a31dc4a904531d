"""The demo page: a help page of the fictional store with the chat widget on it.

Mounted at `/` only in development. It offers "continue as a demo customer" links and,
for `/?as=<email>` of one of the seed's fixed customers, plays the host site: it signs
that customer's identity for the widget the way a real site's server would, so order and
ticket questions can be tried.
"""

from __future__ import annotations

import html
from importlib.resources import files
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse

from channels.web.identity import identity_hash
from demo.seed import DEMO_CUSTOMERS

__all__ = ["DEMO_LINKS", "demo_page_router"]

_STATIC = files("demo") / "static"

# The demo seed's fixed customers: email -> the link text on the demo page.
DEMO_LINKS = {c.email: f"{c.name}: {c.story}" for c in DEMO_CUSTOMERS}


def demo_page_router(identity_secret: str | None) -> APIRouter:
    """`/`: the demo page; with an identity secret, the demo customers' signed links."""
    router = APIRouter(include_in_schema=False)

    @router.api_route("/", methods=["GET", "HEAD"])
    async def demo_page(as_: Annotated[str | None, Query(alias="as")] = None) -> HTMLResponse:
        page = (_STATIC / "demo.html").read_text(encoding="utf-8")
        links = identity = ""
        if identity_secret:
            items = "".join(
                f'<li><a href="/?as={html.escape(email)}">{html.escape(name)}</a></li>'
                for email, name in DEMO_LINKS.items()
            )
            links = (
                '<aside class="note"><p>Try it as a signed-in demo customer (the page '
                "signs their identity for the widget, as a real site's server would):</p>"
                f'<ul>{items}<li><a href="/">anonymous visitor</a></li></ul></aside>'
            )
            if as_ in DEMO_LINKS:
                signed = identity_hash(identity_secret, as_)
                identity = f' data-identifier="{html.escape(as_)}" data-identifier-hash="{signed}"'
        page = page.replace("<!--demo-customers-->", links).replace(
            "<!--demo-identity-->", identity
        )
        return HTMLResponse(page)

    return router
