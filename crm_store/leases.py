"""Leases for work that must run in one process at a time (the IMAP poller, schedulers).

On PostgreSQL a lease is a session-level advisory lock held on a connection of its own:
`pg_try_advisory_lock` takes it, closing the connection gives it back. A holder that dies
(SIGKILL, a crash) loses its connection and so its lock at once on the same machine; a
holder whose machine vanishes loses it when the server's TCP keepalives give up on the
connection (set on the lease's session below: about 25 s). The holder checks its
connection every `check_seconds` (bot/singletons.py), so one that lost it stops its work
instead of running on beside the new holder; the two may overlap for up to that check
interval, which the work under a lease must tolerate (the mail poller does: a mail read
twice is recognised by its Message-ID).

On SQLite there is one server process: the lease is always granted.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from typing import Protocol

from sqlalchemy.engine import URL

from crm_store.wakeups import libpq_url

__all__ = ["AdvisoryLease", "Lease", "LocalLease", "lease_for", "lease_key"]

# How a lost holder's connection is noticed by the server when its machine vanishes.
_KEEPALIVE = {"tcp_keepalives_idle": 10, "tcp_keepalives_interval": 5, "tcp_keepalives_count": 3}


def lease_key(name: str) -> int:
    """A stable signed 64-bit advisory lock key for `name`."""
    digest = hashlib.sha256(f"switchboard:{name}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


class Lease(Protocol):
    name: str

    async def acquire(self) -> bool:
        """Take the lease if free; True when this process holds it now."""
        ...

    async def still_held(self) -> bool:
        """False once the lease was lost (its connection gone)."""
        ...

    async def release(self) -> None: ...


class LocalLease:
    """One process on SQLite: always granted."""

    def __init__(self, name: str) -> None:
        self.name = name

    async def acquire(self) -> bool:
        return True

    async def still_held(self) -> bool:
        return True

    async def release(self) -> None:
        return None


class AdvisoryLease:
    """A PostgreSQL session advisory lock on a connection of its own."""

    def __init__(self, url: URL, name: str) -> None:
        self.name = name
        self._conninfo = libpq_url(url)
        self._key = lease_key(name)
        self._connection: object | None = None

    async def acquire(self) -> bool:
        import psycopg

        await self.release()
        connection = await psycopg.AsyncConnection.connect(
            self._conninfo,
            autocommit=True,
            # Who holds a lease is visible in pg_stat_activity (and to the tests).
            application_name=f"switchboard lease {self.name} pid {os.getpid()}",
        )
        try:
            for setting, value in _KEEPALIVE.items():
                await connection.execute(f"SET {setting} = {value}")
            cursor = await connection.execute("SELECT pg_try_advisory_lock(%s)", (self._key,))
            row = await cursor.fetchone()
        except Exception:
            await connection.close()
            raise
        if not (row and row[0]):
            await connection.close()
            return False
        self._connection = connection
        return True

    async def still_held(self) -> bool:
        connection = self._connection
        if connection is None:
            return False
        try:
            await connection.execute("SELECT 1")  # type: ignore[attr-defined]
        except Exception:
            await self.release()
            return False
        return True

    async def release(self) -> None:
        connection, self._connection = self._connection, None
        if connection is None:
            return
        # Unlock before closing: a closed connection's lock goes only when its server
        # backend has exited, which can be after close() returns, so a successor
        # acquiring at once could still find it held. A failure means the connection
        # is gone, and with it the lock.
        with contextlib.suppress(Exception):
            await connection.execute("SELECT pg_advisory_unlock(%s)", (self._key,))  # type: ignore[attr-defined]
        try:
            await connection.close()  # type: ignore[attr-defined]
        except Exception:  # already gone: so is the lock
            return


def lease_for(url: URL, name: str) -> Lease:
    """An advisory lease on PostgreSQL, the always-granted one on SQLite."""
    if url.get_backend_name() == "postgresql":
        return AdvisoryLease(url, name)
    return LocalLease(name)
