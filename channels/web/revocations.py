"""The port through which the widget asks whether staff revoked a session's token.

Widget tokens are signed and carry their issue time; the store keeps no session table.
Staff revoke a customer's sessions by recording a time: a token issued before it that
reaches that customer (by its session's identity, or by the verified email it carries)
no longer counts. `bot/channel_store` implements this on the CRM store.
"""

from __future__ import annotations

from typing import Protocol

from channels.errors import InvalidSession
from channels.web.sessions import SessionSigner, WebSession


class SessionRevocations(Protocol):
    async def refusal(self, session: WebSession) -> str | None:
        """Why `session`'s token no longer counts (a reason for the 401), or None."""
        ...


class SessionCheck:
    """A token counts when its signature holds, it has not expired, and staff have not
    revoked it since it was issued. Without `revocations`, until it expires."""

    def __init__(self, signer: SessionSigner, revocations: SessionRevocations | None) -> None:
        self._signer = signer
        self._revocations = revocations

    async def session(self, token: str) -> WebSession:
        """The session `token` names; `InvalidSession` with the reason if it does not count."""
        return await self.still_valid(self._signer.verify(token))

    async def still_valid(self, session: WebSession) -> WebSession:
        """`session` itself, or `InvalidSession` when staff revoked it since it was issued."""
        if self._revocations is not None:
            reason = await self._revocations.refusal(session)
            if reason is not None:
                raise InvalidSession(reason)
        return session
