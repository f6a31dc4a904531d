"""Exceptions become HTTP answers here, at the edge, always as JSON with a reason."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger(__name__)


def error_body(reason: str) -> dict[str, str]:
    """The API's one error shape (`ErrorBody`, bot/api/openapi.py) for a reason that is a
    sentence: `detail` repeats it."""
    return {"error": reason, "detail": reason}


def _field(loc: tuple[object, ...] | list[object]) -> str:
    return ".".join(str(part) for part in loc)


def _reason(error: dict[str, Any]) -> str:
    """Pydantic's message, without the "Value error, " it puts before the text of a
    ValueError raised by a validator of ours: the text is already the reason. A body
    that is not JSON says so, with where and what the parser found ("JSON decode error"
    at "body.70" read as a field named 70)."""
    if error.get("type") == "json_invalid":
        loc = list(error.get("loc", ()))
        where = f" at character {loc[1]}" if len(loc) > 1 else ""
        found = (error.get("ctx") or {}).get("error")
        return f"the body is not valid JSON{where}" + (f": {found}" if found else "")
    return str(error.get("msg", "invalid")).removeprefix("Value error, ")


def _line(error: dict[str, Any]) -> str:
    if error.get("type") == "json_invalid":
        return _reason(error)
    return f"{_field(error.get('loc', ()))}: {_reason(error)}"


async def _validation_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = exc.errors()
    reasons = [_line(error) for error in errors]
    detail = [
        {"loc": list(error.get("loc", ())), "msg": _reason(error), "type": error.get("type")}
        for error in errors
    ]
    return JSONResponse(status_code=422, content={"error": "; ".join(reasons), "detail": detail})


async def _http_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    detail = exc.detail
    cause = exc.__cause__
    if exc.status_code == 400 and isinstance(cause, UnicodeDecodeError):
        # FastAPI says only "There was an error parsing the body" for a JSON body that is
        # not UTF-8; the sender needs to know which byte.
        detail = f"the body is not valid UTF-8 (byte {cause.start}: {cause.reason})"
    return JSONResponse(
        status_code=exc.status_code,
        content={"error": str(detail), "detail": detail},
        headers=getattr(exc, "headers", None),
    )


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    # Database outages (503 + Retry-After): bot/api/outages.py, installed by create_app.
