"""`POST /api/v1/customers/{id}/erase` starts erasing a customer (crm_store/erasures.py:
the checklist, worked by the erasure worker); `GET /api/v1/erasures/{id}` shows its
checklist and, once finished, its report (counts and reasons, no personal data);
`GET /api/v1/retention` the retention policy, its last run's counts and what is due.

Admins only, as the export (bot/api/export.py says why there is no `privacy` role). The
erase answers 202 with the erasure at once: the steps that reach Slack, Twilio and the
mailbox run in the background and are retried for days if they must be. Asking again
while one runs returns the running erasure, not a second.
"""

from collections.abc import Callable
from typing import Annotated, Any

from anyio import to_thread
from fastapi import APIRouter, Depends, HTTPException, Path, Request

from bot.api.audit import endpoint_of
from bot.api.auth import StaffDependency
from bot.api.staff import MAX_ID, CustomerId
from bot.erasure.retention import RetentionJob, run_once
from bot.settings import PrivacySettings
from crm_store import Database, NotFound
from crm_store import erasures as store
from crm_store.records import StaffRecord

ErasureId = Annotated[int, Path(ge=1, le=MAX_ID)]


def start_erasure(
    database: Database,
    key: bytes,
    customer_id: int,
    member: StaffRecord | None,
    endpoint: str,
    via: str,
) -> dict[str, Any]:
    """Start (or find running) the customer's erasure, audited. Raises NotFound."""
    with database.transaction() as session:
        started = store.start(
            session,
            customer_id,
            key=key,
            staff_id=member.id if member is not None else None,
            via=via,
            endpoint=endpoint,
        )
        return started.as_json()


def erasure_router(
    database: Database,
    admin: StaffDependency,
    key: bytes,
    wake: Callable[[], None],
    privacy: PrivacySettings,
    job: RetentionJob | None,
) -> APIRouter:
    router = APIRouter(prefix="/api/v1", tags=["privacy"])

    @router.post(
        "/customers/{customer_id}/erase",
        status_code=202,
        responses={404: {"description": "no such customer"}},
    )
    async def erase_customer(
        customer_id: CustomerId, request: Request, member: Annotated[StaffRecord, Depends(admin)]
    ) -> dict[str, Any]:
        """Erase the customer everywhere Switchboard put their data (admins). Answers
        with the erasure; follow it at `GET /api/v1/erasures/{id}`."""
        try:
            started = await to_thread.run_sync(
                start_erasure, database, key, customer_id, member, endpoint_of(request), "api"
            )
        except NotFound:
            raise HTTPException(404, f"no customer {customer_id}") from None
        wake()
        return started

    @router.get("/erasures/{erasure_id}", responses={404: {"description": "no such erasure"}})
    async def erasure(
        erasure_id: ErasureId, _: Annotated[StaffRecord, Depends(admin)]
    ) -> dict[str, Any]:
        """An erasure's checklist and report (admins). Ids and counts only."""

        def read() -> dict[str, Any]:
            with database.transaction() as session:
                return store.get_erasure(session, erasure_id).as_json()

        try:
            return await to_thread.run_sync(read)
        except NotFound:
            raise HTTPException(404, f"no erasure {erasure_id}") from None

    @router.get("/retention")
    async def retention(_: Annotated[StaffRecord, Depends(admin)]) -> dict[str, Any]:
        """The retention policy, what its last run here removed, and what a run would
        remove now (admins). Counts only."""
        due = await to_thread.run_sync(lambda: run_once(database, privacy, dry_run=True).removed)
        last = job.last_run if job is not None else None
        return {
            "policy": {
                "conversations_months": privacy.conversations_months,
                "closed_tickets_months": privacy.closed_tickets_months,
                "attachments_months": privacy.attachments_months,
                "every_hours": privacy.retention_every_hours,
            },
            "last_run": last.as_json() if last is not None else None,
            "due_now": due,
        }

    return router
