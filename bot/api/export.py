"""`POST /api/v1/customers/{id}/export`: the customer's archive (crm_store/export.py), for
an admin answering a request of access.

Admin only, no `privacy` role (decided): the archive is the whole record of a person,
the same reach the admin role already has (it revokes a customer's sessions, removes
knowledge documents), and a role nobody holds yet would only add a way to get the check
wrong. A company whose data protection officer is not an admin can add the role then.

The archive is written to a temporary file page by page (never whole in memory), then
streamed out and deleted. A POST, not a GET: it is an act that is audited (`export`),
and should not be repeated by a prefetch or a proxy.
"""

import os
import tempfile
from typing import Annotated, Any

from anyio import to_thread
from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import FileResponse
from starlette.background import BackgroundTask

from bot.api.audit import endpoint_of, record_in
from bot.api.auth import StaffDependency
from bot.api.staff import CustomerId
from crm_store import Database, NotFound, export
from crm_store.records import StaffRecord

_ZIP = {
    "description": "the archive: customer.json and customer.schema.json",
    "content": {"application/zip": {"schema": {"type": "string", "format": "binary"}}},
}


def write_archive(
    database: Database, customer_id: int, member: StaffRecord | None, endpoint: str, via: str
) -> str:
    """The customer's archive in a new temporary file (the caller deletes it), audited
    in the same transaction that read it. Raises NotFound."""
    handle, path = tempfile.mkstemp(prefix=f"customer-{customer_id}-", suffix=".zip")
    try:
        with os.fdopen(handle, "wb") as out, database.transaction() as session:
            export.export_customer(session, customer_id, out)
            record_in(session, endpoint, member, "export", [customer_id], via=via)
    except BaseException:
        os.unlink(path)
        raise
    return path


def export_router(database: Database, admin: StaffDependency) -> APIRouter:
    router = APIRouter(prefix="/api/v1/customers", tags=["privacy"])

    @router.post(
        "/{customer_id}/export",
        response_class=FileResponse,
        responses={200: _ZIP, 404: {"description": "no such customer"}},
    )
    async def export_customer(
        customer_id: CustomerId, request: Request, member: Annotated[StaffRecord, Depends(admin)]
    ) -> Any:
        """Everything held about the customer, as one zip (admins)."""
        try:
            path = await to_thread.run_sync(
                write_archive, database, customer_id, member, endpoint_of(request), "api"
            )
        except NotFound:
            raise HTTPException(404, f"no customer {customer_id}") from None
        return FileResponse(
            path,
            media_type="application/zip",
            filename=f"customer-{customer_id}-export.zip",
            background=BackgroundTask(os.unlink, path),
        )

    return router
