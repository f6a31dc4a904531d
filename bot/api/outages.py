"""A database outage answers 503 with Retry-After, in the API's one error shape.

The database can be down, locked past its busy timeout, or read-only; every route then
fails with a driver error. Clients and providers (Twilio, the mail relay, Slack) treat a
503 with Retry-After as "try again", so nothing they sent is lost, where a plain 500
says "this request is broken". Driver errors that are mistakes (a bad query, a broken
constraint) stay 500s, still as JSON. Slack's events pass through Bolt, which catches
errors itself: channels/slack answers them with `outage_body` too (see bot/wiring/slack.py).
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import SQLAlchemyError

from bot.api.errors import error_body
from crm_store.errors import StoreUnavailable, is_unavailable

log = logging.getLogger(__name__)

__all__ = ["OUTAGE_REASON", "install_outage_handlers", "outage_response"]

OUTAGE_REASON = "the database is unavailable; try again shortly"


def outage_response(retry_after_seconds: int) -> JSONResponse:
    return JSONResponse(
        status_code=503,
        content=error_body(OUTAGE_REASON),
        headers={"Retry-After": str(retry_after_seconds)},
    )


def install_outage_handlers(app: FastAPI, *, retry_after_seconds: int) -> None:
    """Answer database outages 503 + Retry-After, other database errors a JSON 500."""

    async def database_error(request: Request, exc: Exception) -> JSONResponse:
        if is_unavailable(exc):
            log.error(
                "database unavailable; answered 503",
                extra={"path": request.url.path, "error": str(exc).splitlines()[0]},
            )
            return outage_response(retry_after_seconds)
        log.error("database error", exc_info=exc, extra={"path": request.url.path})
        return JSONResponse(status_code=500, content=error_body("internal server error"))

    app.add_exception_handler(StoreUnavailable, database_error)
    app.add_exception_handler(SQLAlchemyError, database_error)
