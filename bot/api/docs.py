"""The API docs pages (`/docs`, `/redoc`) with a Content-Security-Policy of their own.

FastAPI's pages load Swagger UI and ReDoc from the jsDelivr CDN and start them with an
inline script. Their policy allows exactly that: scripts from this server and the CDN,
plus each inline script of the page by its SHA-256 (computed from the page as rendered,
so it follows FastAPI's template), and nothing is framed. Styles may be inline here: both
UIs inject their own at run time, and these pages show no customer's text.
"""

from __future__ import annotations

import base64
import hashlib
import re

from fastapi import APIRouter, Request
from fastapi.openapi.docs import (
    get_redoc_html,
    get_swagger_ui_html,
    get_swagger_ui_oauth2_redirect_html,
)
from fastapi.responses import HTMLResponse

__all__ = ["docs_router", "page_policy"]

DOCS_PATH = "/docs"
OAUTH2_REDIRECT_PATH = "/docs/oauth2-redirect"
REDOC_PATH = "/redoc"

_CDN = "https://cdn.jsdelivr.net"
_INLINE_SCRIPT = re.compile(rb"<script>(.*?)</script>", re.DOTALL)


def page_policy(body: bytes) -> str:
    """The CSP of one docs page: its inline scripts by hash, the CDNs it loads from."""
    hashes = " ".join(
        f"'sha256-{base64.b64encode(hashlib.sha256(script).digest()).decode()}'"
        for script in _INLINE_SCRIPT.findall(body)
    )
    return (
        f"default-src 'none'; script-src 'self' {_CDN} {hashes}; "
        f"style-src 'self' 'unsafe-inline' {_CDN} https://fonts.googleapis.com; "
        "font-src 'self' https://fonts.gstatic.com; "
        f"img-src 'self' data: {_CDN} https://fastapi.tiangolo.com; connect-src 'self'; "
        "worker-src 'self' blob:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    )


def _with_policy(page: HTMLResponse) -> HTMLResponse:
    page.headers["Content-Security-Policy"] = page_policy(bytes(page.body))
    return page


def docs_router(title: str, openapi_url: str) -> APIRouter:
    """`/docs` (Swagger UI), its OAuth2 redirect page and `/redoc`, as FastAPI serves them."""
    router = APIRouter(include_in_schema=False)

    @router.get(DOCS_PATH)
    async def swagger_ui(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "").rstrip("/")
        return _with_policy(
            get_swagger_ui_html(
                openapi_url=root + openapi_url,
                title=f"{title} - Swagger UI",
                oauth2_redirect_url=root + OAUTH2_REDIRECT_PATH,
            )
        )

    @router.get(OAUTH2_REDIRECT_PATH)
    async def swagger_ui_redirect() -> HTMLResponse:
        return _with_policy(get_swagger_ui_oauth2_redirect_html())

    @router.get(REDOC_PATH)
    async def redoc(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "").rstrip("/")
        return _with_policy(
            get_redoc_html(openapi_url=root + openapi_url, title=f"{title} - ReDoc")
        )

    return router
