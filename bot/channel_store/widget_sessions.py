"""Widget session revocations, kept in the CRM store (channels.web's `SessionRevocations`).

Every widget request checks its token against staff revocations. Decision (issue 16):
each process keeps one number, the latest revocation of any customer (`max(revoked_at)`),
rather than a cache per token. A token issued after it cannot have been revoked, whoever
its session now belongs to, so it is let through with no read of the store: in a help
centre where revocations are rare staff actions, that is nearly every request (before,
one SELECT each). Only a token issued before that moment is looked up as before, exactly.
A cache per token was not chosen: whether a token is revoked also depends on which
customer its session reaches (merges, a verified email set on a customer), which no
revocation announces, so such a cache would be wrong for as long as it lived.

How fresh the number is:
- in the process where staff revoke: at once (`revoked` raises it before the staff's
  request is answered), so a revoked token is refused from the next request on;
- in other processes: the number is read again at most `REFRESH_SECONDS` (1 s) after
  the last read, when a request needs it, so a revocation is honoured everywhere within
  1 s of its commit; on PostgreSQL the revoking process also announces it (wake-up
  `SESSIONS_REVOKED`) and the others read again at their next request, milliseconds
  later. The wake-up is best-effort; the 1 s bound does not depend on it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import datetime

from anyio import to_thread
from sqlalchemy import func, select

from channels.messages import Channel
from channels.web import WebSession
from crm_store import Database
from crm_store.models import WidgetSessionRevocation
from crm_store.wakeups import RESYNC, Wakeups
from crm_store.widget_sessions import revocation_after

__all__ = ["REFRESH_SECONDS", "SESSIONS_REVOKED", "StoreSessionRevocations"]

REFRESH_SECONDS = 1.0
# The wake-up topic of "staff revoked widget sessions" (no key).
SESSIONS_REVOKED = "revoked"


class StoreSessionRevocations:
    """Refuses a widget token issued before staff revoked its customer's sessions."""

    def __init__(
        self,
        database: Database,
        wakeups: Wakeups | None = None,
        *,
        refresh_seconds: float = REFRESH_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._db = database
        self._wakeups = wakeups
        self._refresh = refresh_seconds
        self._clock = clock
        self._latest: datetime | None = None  # the latest revocation, as last read
        self._read_at: float | None = None  # when that read began; None: read again
        self._told_at = float("-inf")  # when `revoked` last raised `_latest`
        self._expired_at = float("-inf")  # when `expire` last asked for a new read
        # Threads, not asyncio, locks: the app may be driven from more than one loop
        # (tests' clients). `_refreshing` lets one thread read while the others wait
        # for its answer; `_state` is held only to change the number.
        self._refreshing = threading.Lock()
        self._state = threading.Lock()
        self.store_reads = 0  # reads of the latest revocation (tests count them)
        if wakeups is not None:
            wakeups.on(SESSIONS_REVOKED, self.expire)
            wakeups.on(RESYNC, self.expire)  # a wake-up may have been missed

    async def refusal(self, session: WebSession) -> str | None:
        if session.issued_at is None:
            return None  # a session built in process, not read from a token
        latest = self._latest if self._fresh() else await to_thread.run_sync(self._refreshed)
        if latest is None or session.issued_at >= latest:
            return None  # nobody's sessions were revoked after this token was issued
        revoked_at = await to_thread.run_sync(
            self._revoked_at, session.session_id, session.verified_email, session.issued_at
        )
        if revoked_at is None:
            return None
        return f"session revoked by staff at {revoked_at.isoformat()}: start a new session"

    def revoked(self, revoked_at: datetime) -> None:
        """Staff revoked sessions at `revoked_at` in this process (committed): refuse
        them here from now on, and tell the other processes."""
        with self._state:
            if self._latest is None or revoked_at > self._latest:
                self._latest = revoked_at
            self._told_at = self._clock()
        if self._wakeups is not None:
            self._wakeups.announce(SESSIONS_REVOKED)

    def expire(self, _key: str = "") -> None:
        """Read the latest revocation again at the next request (another process
        revoked sessions, or may have)."""
        with self._state:
            self._read_at, self._expired_at = None, self._clock()

    def _fresh(self) -> bool:
        read_at = self._read_at
        return read_at is not None and self._clock() - read_at < self._refresh

    def _refreshed(self) -> datetime | None:
        """The latest revocation, read again unless another thread just did."""
        with self._refreshing:
            if self._fresh():
                return self._latest
            started = self._clock()
            self.store_reads += 1
            with self._db.reading() as session:
                latest = session.scalar(select(func.max(WidgetSessionRevocation.revoked_at)))
            with self._state:
                if self._told_at >= started and self._latest is not None:
                    # `revoked` ran during the read, which may not have seen its row
                    latest = self._latest if latest is None else max(latest, self._latest)
                self._latest = latest
                # told to read again during the read: it may not have seen that row
                self._read_at = None if self._expired_at >= started else started
                return latest

    def _revoked_at(
        self, session_id: str, verified_email: str | None, issued_at: datetime
    ) -> datetime | None:
        with self._db.reading() as session:  # one statement
            return revocation_after(
                session,
                channel=Channel.WEB.value,
                session_id=session_id,
                verified_email=verified_email,
                issued_at=issued_at,
            )
