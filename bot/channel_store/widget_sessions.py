"""Widget session revocations, kept in the CRM store (channels.web's `SessionRevocations`)."""

from __future__ import annotations

from datetime import datetime

from anyio import to_thread

from channels.messages import Channel
from channels.web import WebSession
from crm_store import Database
from crm_store.widget_sessions import revocation_after


class StoreSessionRevocations:
    """Refuses a widget token issued before staff revoked its customer's sessions."""

    def __init__(self, database: Database) -> None:
        self._db = database

    async def refusal(self, session: WebSession) -> str | None:
        if session.issued_at is None:
            return None  # a session built in process, not read from a token
        revoked_at = await to_thread.run_sync(
            self._revoked_at, session.session_id, session.verified_email, session.issued_at
        )
        if revoked_at is None:
            return None
        return f"session revoked by staff at {revoked_at.isoformat()}: start a new session"

    def _revoked_at(
        self, session_id: str, verified_email: str | None, issued_at: datetime
    ) -> datetime | None:
        with self._db.reading() as session:  # one statement, on every message
            return revocation_after(
                session,
                channel=Channel.WEB.value,
                session_id=session_id,
                verified_email=verified_email,
                issued_at=issued_at,
            )
