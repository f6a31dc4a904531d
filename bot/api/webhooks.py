"""Webhook subscriptions and their delivery log, for admins.

`POST /api/v1/webhooks` makes a subscription and answers its signing secret, once;
`GET` lists them (never the secret), `PATCH` changes the URL or events or turns one
back on after it was turned off; `GET .../{id}/deliveries` is the delivery log with
every try; `POST /api/v1/webhooks/deliveries/{id}/replay` sends a delivery again with
the same `webhook-id` and body. A URL that resolves into a private network is refused
with 422 and the reason (bot/webhooks/addresses.py).
"""

from collections.abc import Callable
from typing import Annotated, Any, Literal

from anyio import to_thread
from fastapi import APIRouter, Depends, HTTPException, Path, Query
from pydantic import BaseModel, Field

from bot.api.auth import StaffDependency
from bot.webhooks.addresses import RefusedAddress, check_url
from bot.webhooks.signing import new_secret
from crm_store import Database
from crm_store import webhook_log as delivery_log
from crm_store import webhook_subscriptions as subscriptions
from crm_store.base import MAX_ID, utcnow
from crm_store.records import StaffRecord

SubscriptionId = Annotated[int, Path(ge=1, le=MAX_ID)]
DeliveryId = Annotated[int, Path(ge=1, le=MAX_ID)]
EventType = Literal[
    "conversation.created",
    "message.created",
    "handoff.opened",
    "handoff.claimed",
    "ticket.updated",
    "lead.created",
    "customer.erased",
]
_NOT_FOUND = {404: {"description": "no such subscription"}}
_REFUSED = {422: {"description": "a URL that is not http(s), does not resolve, or is private"}}


class NewSubscription(BaseModel):
    url: Annotated[str, Field(min_length=1, max_length=2000)]
    events: Annotated[list[EventType], Field(min_length=1, max_length=20)]
    description: Annotated[str | None, Field(max_length=300)] = None


class SubscriptionChange(BaseModel):
    url: Annotated[str | None, Field(min_length=1, max_length=2000)] = None
    events: Annotated[list[EventType] | None, Field(min_length=1, max_length=20)] = None
    active: bool | None = None


def webhooks_router(
    database: Database,
    admin: StaffDependency,
    allowed_hosts: list[str],
    wake: Callable[[], None],
) -> APIRouter:
    router = APIRouter(prefix="/api/v1/webhooks", tags=["webhooks"])
    Admin = Annotated[StaffRecord, Depends(admin)]
    allowed = frozenset(host.lower() for host in allowed_hosts)

    async def checked(url: str) -> None:
        try:
            await to_thread.run_sync(check_url, url, allowed)
        except RefusedAddress as exc:
            raise HTTPException(422, f"url: {exc}") from None

    def _create(body: NewSubscription, secret: str) -> dict[str, Any]:
        with database.transaction() as session:
            record = subscriptions.create_subscription(
                session,
                url=body.url,
                events=list(body.events),
                secret=secret,
                description=body.description,
            )
            return record.as_json()

    @router.post("", status_code=201, responses=_REFUSED)
    async def create(body: NewSubscription, _: Admin) -> dict[str, Any]:
        """Subscribe a URL to events; the answer carries the signing secret, shown once."""
        await checked(body.url)
        secret = new_secret()
        return {**await to_thread.run_sync(_create, body, secret), "secret": secret}

    def _listing() -> list[dict[str, Any]]:
        with database.transaction() as session:
            return [record.as_json() for record in subscriptions.subscriptions(session)]

    @router.get("")
    async def listing(_: Admin) -> dict[str, Any]:
        return {"subscriptions": await to_thread.run_sync(_listing)}

    def _one(subscription_id: int) -> dict[str, Any] | None:
        with database.transaction() as session:
            record = subscriptions.get_subscription(session, subscription_id)
            return record.as_json() if record is not None else None

    @router.get("/{subscription_id}", responses=_NOT_FOUND)
    async def one(subscription_id: SubscriptionId, _: Admin) -> dict[str, Any]:
        found = await to_thread.run_sync(_one, subscription_id)
        if found is None:
            raise HTTPException(404, f"no webhook subscription {subscription_id}")
        return found

    def _change(subscription_id: int, body: SubscriptionChange) -> dict[str, Any] | None:
        with database.transaction() as session:
            record = subscriptions.change_subscription(
                session,
                subscription_id,
                url=body.url,
                events=list(body.events) if body.events is not None else None,
                active=body.active,
            )
            return record.as_json() if record is not None else None

    @router.patch("/{subscription_id}", responses={**_NOT_FOUND, **_REFUSED})
    async def change(
        subscription_id: SubscriptionId, body: SubscriptionChange, _: Admin
    ) -> dict[str, Any]:
        """Change the URL or events, or turn the subscription on (its waiting events go
        out) or off."""
        if body.url is not None:
            await checked(body.url)
        found = await to_thread.run_sync(_change, subscription_id, body)
        if found is None:
            raise HTTPException(404, f"no webhook subscription {subscription_id}")
        wake()
        return found

    def _log(subscription_id: int, status: str | None, limit: int) -> list[dict[str, Any]] | None:
        with database.transaction() as session:
            if subscriptions.get_subscription(session, subscription_id) is None:
                return None
            found = delivery_log.delivery_log(session, subscription_id, status=status, limit=limit)
            return [entry.as_json() for entry in found]

    @router.get("/{subscription_id}/deliveries", responses=_NOT_FOUND)
    async def deliveries(
        subscription_id: SubscriptionId,
        _: Admin,
        status: Annotated[
            Literal["pending", "sending", "delivered", "failed", "dead"] | None, Query()
        ] = None,
        limit: Annotated[int, Query(ge=1, le=500)] = 100,
    ) -> dict[str, Any]:
        """The delivery log, newest first: each event with its tries."""
        found = await to_thread.run_sync(_log, subscription_id, status, limit)
        if found is None:
            raise HTTPException(404, f"no webhook subscription {subscription_id}")
        return {"deliveries": found}

    def _replay(delivery_id: int) -> str | None:
        with database.transaction() as session:
            return delivery_log.replay(session, delivery_id, now=utcnow())

    @router.post(
        "/deliveries/{delivery_id}/replay",
        responses={
            404: {"description": "no such delivery"},
            409: {"description": "the delivery is still on its way"},
        },
    )
    async def replay(delivery_id: DeliveryId, _: Admin) -> dict[str, Any]:
        """Send a delivery again (same `webhook-id` and body), with a fresh window."""
        before = await to_thread.run_sync(_replay, delivery_id)
        if before is None:
            raise HTTPException(404, f"no webhook delivery {delivery_id}")
        if before in ("pending", "sending"):
            raise HTTPException(409, f"delivery {delivery_id} is {before}: it is on its way")
        wake()
        return {"replayed": delivery_id, "was": before}

    return router
