"""Wake-ups between server processes: "web session S has new messages", "the outbox has
work", "knowledge base version 7". They carry no data, only what to look at again; the
store holds the data, and whoever is woken reads it.

`Wakeups` is the in-process half, and all there is on SQLite (one server process): an
announcement calls this process's subscribers on the event loop. `PostgresWakeups` adds
PostgreSQL LISTEN/NOTIFY so every process hears every announcement:

- one listening connection per process (not one per socket or worker) fans out in-process;
- announcements are not sent inside business transactions: they are gathered and sent by
  one notifier connection per process, many in one `SELECT pg_notify(...)` statement
  (NOTIFY takes a global lock at commit and wakes every listener, so fewer, batched
  NOTIFYs scale; bench/scale_out.py counts them per turn);
- a process's listener skips what its own notifier sent: it was delivered in-process at
  once;
- NOTIFY is best-effort (a listener that reconnects has missed what was sent meanwhile),
  so subscribers to `RESYNC` are called after every (re)connect and every
  `poll_seconds`, and read the store again: the periodic poll is the safety net.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from typing import TYPE_CHECKING

from sqlalchemy.engine import URL

from crm_store.database import CONNECT_TIMEOUT_SECONDS, sets_connect_timeout
from crm_store.outage_log import OutageLog

if TYPE_CHECKING:
    from crm_store.database import Database

log = logging.getLogger(__name__)

__all__ = [
    "CHANNEL",
    "KNOWLEDGE_VERSION",
    "QUEUE_HAS_WORK",
    "RESYNC",
    "PostgresWakeups",
    "Wakeups",
    "announce_queued_rows",
    "libpq_url",
    "notify_now",
    "wakeups_for",
]

CHANNEL = "switchboard"
# Subscribers to RESYNC read the store again: after a reconnect and every poll interval.
RESYNC = "resync"
# "A queue has due rows" (key: the queue's name: "outbox", "webhooks", "slack",
# "erasures", "campaigns"). Idle queue workers sleep until their next row is due, so
# rows queued where the worker would not hear of them otherwise are announced: by a
# CLI process (`deliveries retry`, `actions serve`, `campaigns`, `privacy erase`), and
# by the campaign scheduler, which runs in one process for every process's senders.
# What `switchboard chat` queues for a server (a webhook event), and anything a CLI
# queues on SQLite, is found at the workers' safety-net poll.
QUEUE_HAS_WORK = "queue"
# "The knowledge base has a new version" (key: the version).
KNOWLEDGE_VERSION = "kb"
Subscriber = Callable[[str], None]
# NOTIFY payloads are limited to 8000 bytes; keys are ids, far shorter.
_MAX_KEY = 200


def _payload(topic: str, key: str) -> str:
    return f"{topic}:{key[:_MAX_KEY]}"


def libpq_url(url: URL) -> str:
    """The SQLAlchemy URL as a libpq connection string (psycopg's own connections), with
    the store's connect timeout unless the URL or PGCONNECT_TIMEOUT gives one."""
    if sets_connect_timeout(url):
        url = url.update_query_dict({"connect_timeout": str(CONNECT_TIMEOUT_SECONDS)})
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def announce_queued_rows(database: Database) -> None:
    """For a process without the queue workers (a CLI command): after each commit that
    queued rows, announce their queue to the server processes on this PostgreSQL (on
    SQLite a server finds them at its safety-net poll)."""
    url = database.url
    database.on_queued(lambda queue: notify_now(url, QUEUE_HAS_WORK, queue))


def notify_now(engine_url: URL, topic: str, key: str = "") -> None:
    """Announce from a process without a running loop (a CLI command) to every server
    process on this PostgreSQL; nothing on SQLite, whose server polls."""
    if engine_url.get_backend_name() != "postgresql":
        return
    import psycopg

    with psycopg.connect(libpq_url(engine_url), autocommit=True) as connection:
        connection.execute("SELECT pg_notify(%s, %s)", (CHANNEL, _payload(topic, key)))


class Wakeups:
    """Subscribers per topic in this process; `announce` calls them on the event loop.

    `announce` may be called from any thread (store calls run in worker threads)."""

    def __init__(self) -> None:
        self._subscribers: dict[str, list[Subscriber]] = defaultdict(list)
        self._loop: asyncio.AbstractEventLoop | None = None
        self.announced = 0  # announcements made here (bench/scale_out.py reads them)

    def on(self, topic: str, subscriber: Subscriber) -> None:
        """Call `subscriber(key)` for every announcement of `topic`, from any process."""
        self._subscribers[topic].append(subscriber)

    def announce(self, topic: str, key: str = "") -> None:
        """Tell every subscriber of `topic` (in every process) to look at `key` again.
        Call it after the transaction that wrote what they should read has committed."""
        self.announced += 1
        self._call_soon(topic, key)

    def wake_here(self, topic: str, key: str = "") -> None:
        """Tell this process's subscribers of `topic` only (from any thread)."""
        self._call_soon(topic, key)

    def _call_soon(self, topic: str, key: str) -> None:
        """On the running loop when called from one; from a worker thread, on the loop
        the wake-ups run on; with no loop at all, at once."""
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is not None:
            if self._loop is None or self._loop.is_closed():
                self._loop = running  # where calls from worker threads go
            running.call_soon(self._dispatch, topic, key)
            return
        loop = self._loop
        if loop is None or loop.is_closed():
            self._dispatch(topic, key)
        else:
            loop.call_soon_threadsafe(self._dispatch, topic, key)

    def _dispatch(self, topic: str, key: str) -> None:
        for subscriber in list(self._subscribers.get(topic, ())):
            try:
                subscriber(key)
            except Exception:  # one subscriber's bug must not silence the others
                log.exception("wake-up subscriber failed", extra={"topic": topic})

    async def run(self) -> None:
        """In-process wake-ups need no loop of their own; this keeps the Worker shape."""
        self._loop = asyncio.get_running_loop()

    async def stop(self, grace_seconds: float = 0.0) -> None:
        return None


class PostgresWakeups(Wakeups):
    """Wake-ups of every process on one PostgreSQL (see the module's docstring). A Worker:
    `run()` holds the listening connection and the notifier until `stop()`."""

    def __init__(
        self, url: URL, *, poll_seconds: float = 30.0, reconnect_seconds: float = 1.0
    ) -> None:
        super().__init__()
        self._conninfo = libpq_url(url)
        self._poll = poll_seconds
        self._reconnect = reconnect_seconds
        self._pending: set[str] = set()
        self._pending_lock = threading.Lock()
        self._flush = asyncio.Event()
        self._stopping = asyncio.Event()
        self._notifier_pid: int | None = None
        self.notify_statements = 0  # pg_notify statements sent (batches)
        self.connected = asyncio.Event()  # the listener is listening
        self._listener_outage = OutageLog(log, "wake-up listener")
        self._notifier_outage = OutageLog(log, "wake-up notifier")

    def announce(self, topic: str, key: str = "") -> None:
        super().announce(topic, key)
        with self._pending_lock:
            self._pending.add(_payload(topic, key))
        loop = self._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self._flush.set)

    async def run(self) -> None:
        self._loop = asyncio.get_running_loop()
        notifier = asyncio.create_task(self._notify_loop(), name="wakeups-notifier")
        try:
            while not self._stopping.is_set():
                try:
                    await self._listen()
                except Exception as exc:  # lost or refused: the poll covers the gap
                    self.connected.clear()
                    self._listener_outage.failed(exc)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), self._reconnect)
        finally:
            notifier.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await notifier

    async def stop(self, grace_seconds: float = 0.0) -> None:
        self._stopping.set()
        self._flush.set()

    async def _listen(self) -> None:
        import psycopg

        async with await psycopg.AsyncConnection.connect(
            self._conninfo, autocommit=True
        ) as connection:
            await connection.execute(f"LISTEN {CHANNEL}")
            self.connected.set()
            self._listener_outage.recovered()
            self._dispatch(RESYNC, "")  # what was sent while not listening: read again
            resynced = time.monotonic()
            while not self._stopping.is_set():
                # A short timeout: `stop()` is seen within a second; no query is sent.
                async for note in connection.notifies(timeout=1.0, stop_after=256):
                    if note.pid == self._notifier_pid:
                        continue  # our own: delivered in-process when announced
                    topic, _, key = note.payload.partition(":")
                    self._dispatch(topic, key)
                    if self._stopping.is_set():
                        return
                if time.monotonic() - resynced >= self._poll:
                    self._dispatch(RESYNC, "")  # the periodic safety net
                    resynced = time.monotonic()

    async def _notify_loop(self) -> None:
        import psycopg

        while not self._stopping.is_set():
            try:
                async with await psycopg.AsyncConnection.connect(
                    self._conninfo, autocommit=True
                ) as connection:
                    self._notifier_pid = connection.info.backend_pid
                    self._notifier_outage.recovered()
                    while not self._stopping.is_set():
                        await self._flush.wait()
                        self._flush.clear()
                        with self._pending_lock:
                            payloads, self._pending = sorted(self._pending), set()
                        if payloads:
                            await connection.execute(
                                "SELECT pg_notify(%s, p) FROM unnest(%s::text[]) AS p",
                                (CHANNEL, payloads),
                            )
                            self.notify_statements += 1
            except Exception as exc:  # lost: the other processes' poll covers the gap
                self._notifier_outage.failed(exc)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), self._reconnect)


def wakeups_for(url: URL, *, poll_seconds: float = 30.0) -> Wakeups:
    """PostgreSQL wake-ups on PostgreSQL, in-process ones on SQLite."""
    if url.get_backend_name() == "postgresql":
        return PostgresWakeups(url, poll_seconds=poll_seconds)
    return Wakeups()
