"""Signing in to the staff dashboard: a staff token once, then a session cookie.

Decided: the cookie is **signed, not stored** (itsdangerous over the server's secret,
salt `staff-session`). It carries the staff user's id, a fingerprint of their API
token (the first 16 hex digits of its stored SHA-256 hash) and its signing time. Every
request checks the signature, the age (`STAFF__SESSION_TTL_SECONDS`, 8 hours) and that
the staff user is still active with the same token, so a session is revoked by
deactivating the user or giving them a new token: every cookie issued for the old token
stops working at once, with no session table to keep (no migration, nothing to clean
up). Signing out deletes the cookie in that browser; a copy taken from it stays valid
until it expires or the token changes, which is the price of not storing sessions.

The cookie is `HttpOnly` (page scripts never see it), `SameSite=Strict` (no other
site's page can make the browser send it) and `Secure` when the request came over
https (as uvicorn reports it, behind a trusted proxy too). It is accepted only for GET
and HEAD (`StaffAuth`): the dashboard only reads, and anything that changes state still
takes the bearer token, so the cookie opens no door to cross-site request forgery.
"""

from dataclasses import dataclass
from typing import Annotated, Any

from anyio import to_thread
from fastapi import APIRouter, Body, Depends, HTTPException, Request, Response
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from pydantic import BaseModel, Field
from sqlalchemy import select

from crm_store import Database
from crm_store.models import StaffUser
from crm_store.models.staff import SYSTEM_ROLES
from crm_store.records import StaffRecord
from crm_store.staff import hash_token, staff_by_token, staff_record

__all__ = ["COOKIE", "StaffSessions", "staff_sessions_router"]

COOKIE = "switchboard_staff"
_FINGERPRINT = 16


class SignIn(BaseModel):
    token: str = Field(min_length=1, max_length=200, description="a staff API token")


@dataclass(frozen=True)
class StaffSessions:
    """Issues and checks the dashboard's session cookies (see the module)."""

    database: Database
    secret: str
    max_age_seconds: int

    def _serializer(self) -> URLSafeTimedSerializer:
        return URLSafeTimedSerializer(self.secret, salt="staff-session")

    def issue(self, token: str) -> tuple[StaffRecord, str] | None:
        """The staff user of an API token and a cookie value for them; None: no such
        active staff user."""
        with self.database.transaction() as session:
            found = staff_by_token(session, token)
        if found is None:
            return None
        fingerprint = hash_token(token)[:_FINGERPRINT]
        return found, str(self._serializer().dumps([found.id, fingerprint]))

    def staff_of(self, cookie: str) -> StaffRecord | None:
        """The staff user a cookie signs in, or None when it is forged, expired, or its
        user is inactive or has a new token."""
        try:
            staff_id, fingerprint = self._serializer().loads(cookie, max_age=self.max_age_seconds)
        except (BadSignature, SignatureExpired, ValueError, TypeError):
            return None
        if not isinstance(staff_id, int) or not isinstance(fingerprint, str):
            return None
        with self.database.transaction() as session:
            row = session.scalars(select(StaffUser).where(StaffUser.id == staff_id)).one_or_none()
            if row is None or not row.active or not row.api_token_hash.startswith(fingerprint):
                return None
            return staff_record(row)


def _who(member: StaffRecord) -> dict[str, Any]:
    return {"id": member.id, "name": member.name, "email": member.email, "role": member.role}


def staff_sessions_router(sessions: StaffSessions, current_staff: Any) -> APIRouter:
    """`/api/v1/staff-session`: sign in (POST), who is signed in (GET), sign out (DELETE).
    `current_staff` is `StaffAuth.any_staff_or_nobody()`."""
    router = APIRouter(prefix="/api/v1/staff-session", tags=["staff dashboard"])

    @router.post(
        "",
        responses={
            401: {"description": "not an active staff user's token"},
            403: {"description": "a system account's token (the shop role)"},
        },
    )
    async def sign_in(
        body: Annotated[SignIn, Body()], request: Request, response: Response
    ) -> dict[str, Any]:
        """Trade a staff API token for the dashboard's session cookie."""
        issued = await to_thread.run_sync(sessions.issue, body.token)
        if issued is None:
            raise HTTPException(401, "that is not an active staff user's token")
        member, cookie = issued
        # Decided: a system account (the shop role, the shop's backend) is refused here
        # with the reason, not given a cookie that every dashboard route refuses
        # (StaffAuth.any_staff): it is not a person and may only record orders.
        if member.role in SYSTEM_ROLES:
            raise HTTPException(
                403,
                f"the {member.role} role is the shop's backend and can only record orders: "
                "it cannot sign in to the dashboard",
            )
        response.set_cookie(
            COOKIE,
            cookie,
            max_age=sessions.max_age_seconds,
            path="/",
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",
        )
        response.headers["Cache-Control"] = "no-store"
        return _who(member)

    # Decided: nobody signed in is 204, not 401, so the dashboard's check on load leaves
    # no failed request in the browser's console; a cookie or token that no longer signs
    # anyone in is still 401 with its reason, which the page shows.
    @router.get(
        "",
        response_model=dict[str, Any],
        responses={
            204: {"description": "nobody is signed in: no session cookie and no bearer token"},
            401: {"description": "a session expired or revoked, or a token not valid"},
            403: {"description": "a customer's session token, or a system account"},
        },
    )
    async def signed_in(
        member: Annotated[StaffRecord | None, Depends(current_staff)],
    ) -> Any:
        """The staff user signed in (by cookie or bearer token): name and role."""
        if member is None:
            return Response(status_code=204)
        return _who(member)

    @router.delete("", status_code=204)
    async def sign_out(request: Request) -> Response:
        """Delete the cookie in this browser (see the module on revoking sessions)."""
        response = Response(status_code=204)
        response.delete_cookie(
            COOKIE,
            path="/",
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",
        )
        return response

    return router
