"""`GET /healthz`: 200 when the database answers, 503 when it does not.

The status code means only "this server can serve" (a load balancer must not drop a
server because Twilio is down); `channels` in the body says how each channel's last
check went (`on`, `off`, `failing` with its reason, `unchecked`) and when it was made.
"""

from collections.abc import Callable
from typing import Any

from anyio import to_thread
from fastapi import APIRouter
from fastapi.responses import JSONResponse

from crm_store import Database
from crm_store.errors import StoreUnavailable

ChannelStates = Callable[[], dict[str, dict[str, Any]]]


def health_router(database: Database, channels: ChannelStates | None = None) -> APIRouter:
    router = APIRouter(tags=["operations"])

    @router.get("/healthz")
    async def healthz() -> Any:
        try:
            await to_thread.run_sync(database.ping)
        except StoreUnavailable:
            body: dict[str, Any] = {"status": "unavailable", "database": "down"}
            if channels is not None:
                body["channels"] = channels()
            return JSONResponse(body, status_code=503)
        body = {"status": "ok", "database": "ok"}
        if channels is not None:
            body["channels"] = channels()
        return body

    return router
