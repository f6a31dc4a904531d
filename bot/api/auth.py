"""Staff authentication for the HTTP API: bearer tokens, roles.

A staff token finds its staff user (stored hashed). A widget session token is a valid
credential of the wrong kind: 403. Anything else: 401. Without a bearer token, a GET or
HEAD may carry the staff dashboard's session cookie instead (bot/api/staff_sessions.py).
Every token is counted against its rate limit before it is looked up (429 over it;
bot/api/throttles.py).
"""

from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from anyio import to_thread
from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from bot.api.staff_sessions import COOKIE, StaffSessions
from bot.api.throttles import RateLimits
from channels.errors import InvalidSession
from channels.web import SessionSigner
from crm_store import Database, staff
from crm_store.models.staff import SYSTEM_ROLES
from crm_store.records import StaffRecord

_bearer = HTTPBearer(auto_error=False)
StaffDependency = Callable[..., Coroutine[Any, Any, StaffRecord]]


class StaffAuth:
    def __init__(
        self,
        database: Database,
        signer: SessionSigner,
        limits: RateLimits | None = None,
        sessions: StaffSessions | None = None,
    ) -> None:
        self._database = database
        self._signer = signer
        self._limits = limits
        self.sessions = sessions

    def _lookup(self, token: str) -> StaffRecord | None:
        with self._database.transaction() as session:
            return staff.staff_by_token(session, token)

    def any_staff(self) -> StaffDependency:
        """Any person at the company. A system account (the `shop` role, which records
        orders) is refused here: it reaches only the routes that name its role."""
        authenticated = self._authenticated()

        async def person(
            member: Annotated[StaffRecord, Depends(authenticated)],
        ) -> StaffRecord:
            if member.role in SYSTEM_ROLES:
                raise HTTPException(403, f"the {member.role} role can only record orders")
            return member

        return person

    def any_staff_or_nobody(self) -> Callable[..., Coroutine[Any, Any, StaffRecord | None]]:
        """`any_staff()`, or None for a request that carries no credential at all (no
        bearer token, no session cookie): for "who is signed in here?", where "nobody"
        is an answer, not an error. A credential that fails is still refused (401, 403)."""
        person = self.any_staff()
        authenticated = self._authenticated()

        async def member_or_nobody(
            request: Request,
            credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
        ) -> StaffRecord | None:
            if credentials is None and COOKIE not in request.cookies:
                return None
            return await person(await authenticated(request, credentials))

        return member_or_nobody

    def _authenticated(self) -> StaffDependency:
        async def current_staff(
            request: Request,
            credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
        ) -> StaffRecord:
            if credentials is None:
                return await self._from_cookie(request)
            if self._limits is not None:
                self._limits.check_staff_token(credentials.credentials)
            found = await to_thread.run_sync(self._lookup, credentials.credentials)
            if found is not None:
                return found
            try:
                self._signer.verify(credentials.credentials)
            except InvalidSession:
                raise HTTPException(401, "invalid token", {"WWW-Authenticate": "Bearer"}) from None
            raise HTTPException(403, "a customer session token cannot use the staff API")

        return current_staff

    async def _from_cookie(self, request: Request) -> StaffRecord:
        """The dashboard's session cookie, for reads only (no state change by cookie)."""
        cookie = request.cookies.get(COOKIE)
        if cookie is None or self.sessions is None or request.method not in ("GET", "HEAD"):
            raise HTTPException(401, "missing bearer token", {"WWW-Authenticate": "Bearer"})
        if self._limits is not None:
            self._limits.check_staff_token(cookie)
        found = await to_thread.run_sync(self.sessions.staff_of, cookie)
        if found is None:
            raise HTTPException(401, "the staff session has expired or was revoked: sign in again")
        return found

    def role(self, *roles: str) -> StaffDependency:
        current_staff = self._authenticated()

        async def staff_in_role(
            member: Annotated[StaffRecord, Depends(current_staff)],
        ) -> StaffRecord:
            if member.role not in roles:
                raise HTTPException(403, f"this needs the {' or '.join(roles)} role")
            return member

        return staff_in_role
