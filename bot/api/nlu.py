"""`POST /model/parse`: Rasa's NLU HTTP API shape, so tools written for Rasa work.

With a token configured it is required as `?token=` or `Authorization: Bearer <token>`,
as Rasa's `--auth-token` does. Without one the route is open in development and closed
in production (401 naming `SWITCHBOARD_NLU__API_TOKEN`): it costs CPU and tells what the
model knows, so a public server must not offer it by accident. It takes its own token,
not a staff token, because Rasa tools carry one shared token in their configuration or
URL, where a person's staff credential does not belong. The body is read raw so that
bytes which are not UTF-8 get a 400 with a reason rather than a generic error; bodies
nested too deeply are refused before that (bot/api/json_depth.py), and `limit` counts
requests per client address (429).
"""

import hmac
import json
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import JSONResponse

from bot.api.errors import error_body
from bot.conversation.understanding import NluParser
from channels.text import storable
from nlu.errors import NluError

__all__ = ["NluParser", "nlu_router"]

MAX_TEXT_CHARS = 5000
# The body is read by hand (Rasa's clients send it with any content type), so the
# document describes it here.
_PARSE_BODY = {
    "required": True,
    "content": {
        "application/json": {
            "schema": {
                "type": "object",
                "required": ["text"],
                "properties": {
                    "text": {"type": "string", "minLength": 1, "maxLength": MAX_TEXT_CHARS},
                    "message_id": {"type": "string"},
                },
            }
        }
    },
}
CLOSED_REASON = "POST /model/parse is closed in production until SWITCHBOARD_NLU__API_TOKEN is set"
RequestCheck = Callable[[Request], Coroutine[Any, Any, None]]


def _bearer(request: Request) -> str | None:
    scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
    return credentials.strip() if scheme.lower() == "bearer" and credentials else None


def nlu_router(
    parser: NluParser,
    api_token: str | None,
    *,
    closed_without_token: bool = False,
    limit: RequestCheck | None = None,
) -> APIRouter:
    router = APIRouter(tags=["nlu"])

    def require_token(request: Request) -> None:
        if not api_token:
            if closed_without_token:
                raise HTTPException(401, CLOSED_REASON, {"WWW-Authenticate": "Bearer"})
            return
        given = request.query_params.get("token") or _bearer(request) or ""
        if not hmac.compare_digest(given.encode(), api_token.encode()):
            raise HTTPException(
                status_code=401,
                detail="a valid token is required (?token= or Authorization: Bearer)",
                headers={"WWW-Authenticate": "Bearer"},
            )

    # Counted first, so that guessing at the token is limited too.
    checks = [Depends(limit)] if limit is not None else []
    checks.append(Depends(require_token))

    @router.post(
        "/model/parse",
        dependencies=checks,
        openapi_extra={"requestBody": _PARSE_BODY},
        responses={
            400: {"description": "the body is not UTF-8, or JSON nested too deeply"},
            401: {"description": "a token is configured (or production) and this has not got it"},
            429: {"description": "too many requests from this address"},
            503: {"description": "the NLU backend (a Rasa server) is unavailable"},
        },
    )
    async def parse(request: Request) -> Any:
        raw = await request.body()
        try:
            decoded = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            reason = f"body is not valid UTF-8 (byte {exc.start}: {exc.reason})"
            return JSONResponse(error_body(reason), status_code=400)
        try:
            body = json.loads(decoded)
        except ValueError as exc:
            return _unprocessable(f"body is not JSON: {exc}")
        text = body.get("text") if isinstance(body, dict) else None
        if not isinstance(text, str):
            return _unprocessable('body must be a JSON object with a "text" string')
        if not text.strip():
            return _unprocessable("text must not be empty")
        try:
            storable(text)
        except ValueError as exc:
            return _unprocessable(f"text {exc}")
        if len(text) > MAX_TEXT_CHARS:
            return _unprocessable(f"text is longer than {MAX_TEXT_CHARS} characters")
        try:
            result = await parser.parse_async(text)
        except NluError as exc:  # e.g. the Rasa backend is down
            reason = f"NLU is unavailable: {exc}"
            return JSONResponse(error_body(reason), status_code=503)
        return result.to_rasa()

    return router


def _unprocessable(reason: str) -> JSONResponse:
    return JSONResponse(error_body(reason), status_code=422)
