"""`GET /healthz`: 200 when the database answers and can be written to, else 503.

A database can answer SELECT 1 and still refuse every write (a read-only SQLite file, a
full disk, a lock held past the busy timeout, a PostgreSQL standby): the server would
then take no message in, so the check makes a write and rolls it back. The 200 also says
how many inbound messages the stranded-message sweeper gave up on (each needs a person)
and, in `channels`, each channel's last check against its provider (a failing channel
does not make the server unhealthy: a load balancer must not drop a server because
Twilio is down). A channel's state is `on`, `off`, `failing` with its reason, or
`unchecked`, with when it was checked. `detail.dead_deliveries` counts the sends and
Slack calls parked dead (retried until their window ended): an alert to watch, not a
reason to restart the server.

The 503's `error` says what kind of failure it is ("database is locked", "connection
... failed: FATAL: password authentication failed for user ...") with every quoted name
and port number masked: the endpoint is public behind the load balancer, and the
database's host, socket path, port and user are not anyone's business (the server's
retrying loops log the whole message once when they start failing).
"""

import re
from collections.abc import Callable
from typing import Any

from anyio import to_thread
from fastapi import APIRouter
from fastapi.responses import JSONResponse

from crm_store import Database, stranded
from crm_store.errors import StoreUnavailable
from crm_store.outage_log import first_line

ChannelStates = Callable[[], dict[str, dict[str, Any]]]

_QUOTED = re.compile(r'"[^"]*"')
_PORT = re.compile(r"\bport \d+", re.I)


def public_reason(exc: Exception) -> str:
    """The first line of `exc` (as the outage log reads it), its quoted names and port
    numbers masked."""
    return _PORT.sub("port ...", _QUOTED.sub('"..."', first_line(exc)))


def _unanswered(database: Database) -> int:
    with database.transaction() as session:
        return stranded.count_unanswered(session)


def health_router(
    database: Database,
    channels: ChannelStates | None = None,
    dead_deliveries: Callable[[], int] | None = None,
    *,
    retry_after_seconds: int = 5,
) -> APIRouter:
    router = APIRouter(tags=["operations"])

    def unavailable(state: str, exc: StoreUnavailable) -> JSONResponse:
        reason = public_reason(exc)
        body: dict[str, Any] = {"status": "unavailable", "database": state, "error": reason}
        if channels is not None:
            body["channels"] = channels()
        return JSONResponse(
            body,
            status_code=503,
            headers={"Retry-After": str(retry_after_seconds)},
        )

    # HEAD, which uptime monitors and `curl -I` send, is answered as GET by `HeadAsGet`.
    @router.get("/healthz")
    async def healthz() -> Any:
        try:
            await to_thread.run_sync(database.ping)
        except StoreUnavailable as exc:
            return unavailable("down", exc)
        try:
            await to_thread.run_sync(database.check_writable)
        except StoreUnavailable as exc:
            return unavailable("not writable", exc)
        try:
            unanswered = await to_thread.run_sync(_unanswered, database)
            dead = await to_thread.run_sync(dead_deliveries) if dead_deliveries else None
        except StoreUnavailable as exc:
            return unavailable("down", exc)
        body: dict[str, Any] = {"status": "ok", "database": "ok", "unanswered_messages": unanswered}
        if dead is not None:
            body["detail"] = {"dead_deliveries": dead}
        if channels is not None:
            body["channels"] = channels()
        return body

    return router
