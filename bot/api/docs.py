"""The API docs page (`/docs`, Swagger UI), served whole by Switchboard.

Nothing loads from a CDN: Swagger UI's script, stylesheet and icon come from the
`swagger-ui-py` package (Apache-2.0; Swagger UI 5, which reads OpenAPI 3.1) at
`/docs/assets/`, so the page works on a machine with no internet access. Its policy
allows scripts and styles from this server only, plus the page's one inline script (the
start-up call FastAPI's template writes) by its SHA-256, computed from the page as
rendered; styles may be inline because Swagger UI injects its own at run time. ReDoc is
not served: no package ships it for offline use, and Swagger UI covers the same ground.
"""

from __future__ import annotations

import base64
import hashlib
import re
from importlib.resources import files

from fastapi import APIRouter, HTTPException, Request
from fastapi.openapi.docs import get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse, Response

__all__ = ["docs_router", "page_policy"]

DOCS_PATH = "/docs"
OAUTH2_REDIRECT_PATH = "/docs/oauth2-redirect"
ASSETS_PATH = "/docs/assets"

# The only files served from the package, with their media types.
_ASSETS = {
    "swagger-ui-bundle.js": "application/javascript",
    "swagger-ui.css": "text/css",
    "favicon-32x32.png": "image/png",
}
_INLINE_SCRIPT = re.compile(rb"<script>(.*?)</script>", re.DOTALL)


def page_policy(body: bytes) -> str:
    """The CSP of one docs page: this server only, and its inline scripts by hash."""
    hashes = " ".join(
        f"'sha256-{base64.b64encode(hashlib.sha256(script).digest()).decode()}'"
        for script in _INLINE_SCRIPT.findall(body)
    )
    return (
        f"default-src 'none'; script-src 'self' {hashes}; "
        "style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; "
        "worker-src 'self' blob:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    )


def _with_policy(page: HTMLResponse) -> HTMLResponse:
    page.headers["Content-Security-Policy"] = page_policy(bytes(page.body))
    return page


def docs_router(title: str, openapi_url: str) -> APIRouter:
    """`/docs` (Swagger UI), its OAuth2 redirect page and the assets they load."""
    router = APIRouter(include_in_schema=False)
    static = files("swagger_ui") / "static"

    @router.get(DOCS_PATH)
    async def swagger_ui(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "").rstrip("/")
        return _with_policy(
            get_swagger_ui_html(
                openapi_url=root + openapi_url,
                title=f"{title} - Swagger UI",
                oauth2_redirect_url=root + OAUTH2_REDIRECT_PATH,
                swagger_js_url=f"{root}{ASSETS_PATH}/swagger-ui-bundle.js",
                swagger_css_url=f"{root}{ASSETS_PATH}/swagger-ui.css",
                swagger_favicon_url=f"{root}{ASSETS_PATH}/favicon-32x32.png",
            )
        )

    @router.get(OAUTH2_REDIRECT_PATH)
    async def swagger_ui_redirect() -> HTMLResponse:
        return _with_policy(get_swagger_ui_oauth2_redirect_html())

    @router.get(ASSETS_PATH + "/{name}")
    async def asset(name: str) -> Response:
        media_type = _ASSETS.get(name)
        if media_type is None:
            raise HTTPException(404, f"no docs asset {name!r}")
        body = (static / name).read_bytes()
        return Response(body, media_type=media_type, headers={"Cache-Control": "max-age=86400"})

    return router
