"""`GET /healthz`: 200 when the database answers, 503 when it does not."""

from typing import Any

from anyio import to_thread
from fastapi import APIRouter
from fastapi.responses import JSONResponse

from crm_store import Database
from crm_store.errors import StoreUnavailable


def health_router(database: Database) -> APIRouter:
    router = APIRouter(tags=["operations"])

    @router.get("/healthz")
    async def healthz() -> Any:
        try:
            await to_thread.run_sync(database.ping)
        except StoreUnavailable:
            return JSONResponse({"status": "unavailable", "database": "down"}, status_code=503)
        return {"status": "ok", "database": "ok"}

    return router
