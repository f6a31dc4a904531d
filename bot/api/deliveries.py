"""Dead deliveries for staff: list them (any staff), retry or discard one (admins).

`GET /api/v1/deliveries?state=dead` lists the outbox sends and Slack calls that were
retried until their window ended (`queue` says which); `POST .../{id}/retry` sends one
again with a fresh window, `POST .../{id}/discard` gives it up. See bot/delivery/dead_rows.
"""

from collections.abc import Callable
from typing import Annotated, Any, Literal

from anyio import to_thread
from fastapi import APIRouter, Depends, HTTPException, Path, Query

from bot.delivery.dead_rows import DeadRows, UnknownDelivery, parse_delivery_id
from crm_store.records import StaffRecord

DeliveryId = Annotated[str, Path(min_length=1, max_length=40)]


def deliveries_router(
    rows: DeadRows,
    any_staff: Callable[..., Any],
    admin: Callable[..., Any],
    wake: Callable[[str], None],
) -> APIRouter:
    """`wake("outbox" | "slack")` tells that queue's worker a row is due again."""
    router = APIRouter(prefix="/api/v1/deliveries", tags=["deliveries"])

    def checked(delivery_id: str) -> str:
        try:
            parse_delivery_id(delivery_id)
        except ValueError as exc:
            raise HTTPException(422, str(exc)) from None
        return delivery_id

    @router.get("")
    async def list_deliveries(
        _: Annotated[StaffRecord, Depends(any_staff)],
        state: Annotated[Literal["dead", "discarded"], Query()] = "dead",
        limit: Annotated[int, Query(ge=1, le=500)] = 200,
    ) -> dict[str, Any]:
        listed = await to_thread.run_sync(lambda: rows.list(state, limit=limit))
        return {"deliveries": [row.as_json() for row in listed]}

    @router.post("/{delivery_id}/retry")
    async def retry_delivery(
        delivery_id: DeliveryId, _: Annotated[StaffRecord, Depends(admin)]
    ) -> dict[str, Any]:
        checked(delivery_id)
        try:
            revived = await to_thread.run_sync(rows.retry, delivery_id)
        except UnknownDelivery as exc:
            raise HTTPException(404, str(exc)) from None
        wake(delivery_id.partition("-")[0])
        return {"retried": revived}

    @router.post("/{delivery_id}/discard")
    async def discard_delivery(
        delivery_id: DeliveryId, _: Annotated[StaffRecord, Depends(admin)]
    ) -> dict[str, Any]:
        checked(delivery_id)
        try:
            await to_thread.run_sync(rows.discard, delivery_id)
        except UnknownDelivery as exc:
            raise HTTPException(404, str(exc)) from None
        return {"discarded": delivery_id}

    return router
