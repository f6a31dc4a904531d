"""Orders from the shop's backend: `PUT /api/v1/orders/{number}` records an order, or
its new status, for the customer with the contact details given (crm_store/order_intake.py
says how). For the `shop` system account and admins. 201 when the order is new, 200
when it was on file (a retry with the same body changes nothing; currency, items,
carrier and tracking link left out are kept), 409 when the number
belongs to a customer with other contact details, 422 with the reason for a bad body."""

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from anyio import to_thread
from fastapi import APIRouter, Depends, HTTPException, Path, Request, Response
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from bot.api.audit import endpoint_of, record_in
from channels.text import StorableStr
from crm_store import Database
from crm_store.base import MAX_ID
from crm_store.order_intake import OrderFromShop, OrderOfAnotherCustomer, record_order_from_shop
from crm_store.records import OrderRecord, StaffRecord

__all__ = ["orders_router"]

# The states the bot can put into words (actions/orders.py).
OrderStatus = Literal[
    "placed", "processing", "shipped", "delayed", "delivered", "cancelled", "returned"
]
OrderNumber = Annotated[str, Path(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$")]


class OrderItem(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: StorableStr = Field(min_length=1, max_length=200)
    quantity: int = Field(default=1, ge=1, le=100_000)
    price_cents: int | None = Field(default=None, ge=0, le=10**12)


class ShopOrder(BaseModel):
    """What the shop knows about one order. `email` or `phone` (E.164) is required:
    it finds the customer."""

    model_config = ConfigDict(extra="forbid")

    email: str | None = Field(default=None, max_length=320, pattern=r"^[^@\s]+@[^@\s]+$")
    phone: str | None = Field(default=None, pattern=r"^\+[1-9][0-9]{6,14}$")
    name: StorableStr | None = Field(default=None, max_length=200)
    status: OrderStatus = "placed"
    total_cents: int = Field(ge=0, le=MAX_ID)  # the column's INTEGER, about 21 million
    currency: str = Field(default="USD", pattern=r"^[A-Z]{3}$")
    items: list[OrderItem] = Field(default_factory=list, max_length=500)
    placed_at: AwareDatetime | None = None
    carrier: StorableStr | None = Field(default=None, max_length=50)
    tracking_url: str | None = Field(default=None, max_length=500, pattern=r"^https://\S+$")

    @model_validator(mode="after")
    def _someone(self) -> "ShopOrder":
        if not self.email and not self.phone:
            raise ValueError("email or phone is required: it finds the customer")
        return self


def order_json(record: OrderRecord) -> dict[str, Any]:
    return {
        "id": record.id,
        "number": record.number,
        "customer_id": record.customer_id,
        "status": record.status,
        "total_cents": record.total_cents,
        "currency": record.currency,
        "items": record.items,
        "carrier": record.carrier,
        "tracking_url": record.tracking_url,
        "placed_at": record.placed_at.isoformat(),
        "updated_at": record.updated_at.isoformat(),
    }


def orders_router(database: Database, shop_dependency: Callable[..., Any]) -> APIRouter:
    router = APIRouter(prefix="/api/v1/orders", tags=["orders"])

    def _record(number: str, body: ShopOrder, member: StaffRecord, endpoint: str) -> Any:
        order = OrderFromShop(
            number=number,
            email=body.email,
            phone=body.phone,
            name=body.name,
            status=body.status,
            total_cents=body.total_cents,
            currency=body.currency if "currency" in body.model_fields_set else None,
            items=[item.model_dump(exclude_none=True) for item in body.items]
            if "items" in body.model_fields_set
            else None,
            placed_at=_utc(body.placed_at),
            carrier=body.carrier,
            tracking_url=body.tracking_url,
        )
        with database.transaction() as session:
            try:
                record, created = record_order_from_shop(session, order)
            except OrderOfAnotherCustomer:
                return None
            record_in(session, endpoint, member, "change", [record.customer_id])
            return record, created

    @router.put(
        "/{number}",
        status_code=200,
        responses={
            201: {"description": "the order was new and is recorded"},
            409: {"description": "the number is on file for a customer with other details"},
            422: {"description": "a bad order number or body (the reason is in `detail`)"},
        },
    )
    async def record_order(
        number: OrderNumber,
        body: ShopOrder,
        request: Request,
        response: Response,
        member: Annotated[StaffRecord, Depends(shop_dependency)],
    ) -> dict[str, Any]:
        """Record an order, or the order's new state, as the shop has it."""
        done = await to_thread.run_sync(lambda: _record(number, body, member, endpoint_of(request)))
        if done is None:
            raise HTTPException(
                409, f"order {number.upper()} is on file for a customer with other details"
            )
        record, created = done
        response.status_code = 201 if created else 200
        return order_json(record)

    return router


def _utc(moment: datetime | None) -> datetime | None:
    return moment.astimezone(UTC) if moment is not None else None
