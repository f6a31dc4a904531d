"""`GET /healthz`: 200 when the database answers, 503 when it does not. With the 200,
`detail.dead_deliveries` counts the sends and Slack calls parked dead (retried until
their window ended): an alert to watch, not a reason to restart the server."""

from collections.abc import Callable
from typing import Any

from anyio import to_thread
from fastapi import APIRouter
from fastapi.responses import JSONResponse

from crm_store import Database
from crm_store.errors import StoreUnavailable


def health_router(
    database: Database, dead_deliveries: Callable[[], int] | None = None
) -> APIRouter:
    router = APIRouter(tags=["operations"])

    @router.get("/healthz")
    async def healthz() -> Any:
        try:
            await to_thread.run_sync(database.ping)
            dead = await to_thread.run_sync(dead_deliveries) if dead_deliveries else None
        except StoreUnavailable:
            return JSONResponse({"status": "unavailable", "database": "down"}, status_code=503)
        answer: dict[str, Any] = {"status": "ok", "database": "ok"}
        if dead is not None:
            answer["detail"] = {"dead_deliveries": dead}
        return answer

    return router
