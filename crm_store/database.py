"""The database handle: one engine, and transactions that commit or roll back as a whole."""

from __future__ import annotations

import asyncio
import logging
import os
import select
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from anyio import to_thread
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import Session, sessionmaker

from crm_store.claims import QUEUED
from crm_store.errors import StoreError, StoreUnavailable
from crm_store.sqlite_writer import SingleWriter

# Connections each process keeps open; bot sizes its thread pool to match.
DEFAULT_POOL_SIZE = 16
_READS_ONLY = "switchboard_reads_only"
T = TypeVar("T")
log = logging.getLogger(__name__)
# A pooled PostgreSQL connection idle longer than this is pinged before use (a network
# path may have dropped it silently); one used more recently is checked without a round
# trip (_check_postgres_on_checkout).
PING_AFTER_IDLE_SECONDS = 30.0
_RETURNED_AT = "switchboard_returned_at"
# How long a new PostgreSQL connection may take before it fails (libpq's
# `connect_timeout`; a URL's own `?connect_timeout=` wins). Without it a database host
# that drops packets silently held `serve`, `db upgrade` and `check` until the
# operating system gave up, minutes later, saying nothing.
CONNECT_TIMEOUT_SECONDS = 10


def sets_connect_timeout(url: URL) -> bool:
    """Whether the store gives `url`'s connections its timeout: not when the URL says its
    own (`?connect_timeout=`) or libpq's PGCONNECT_TIMEOUT does."""
    return "connect_timeout" not in url.query and not os.environ.get("PGCONNECT_TIMEOUT")


def _check_postgres_on_checkout(engine: Engine) -> None:
    """Hand out only live connections, without SQLAlchemy's `pool_pre_ping` round trip
    on every checkout (3 of a web chat turn's round trips, 7.5% of bench/scale_out.py's
    profile in pings).

    A server that ends a backend (a restart, `pg_terminate_backend`, an idle timeout)
    sends its reason and closes the socket, so the pooled connection's socket turns
    readable while it sits idle in the pool (nothing else is sent to an idle connection
    that does not LISTEN): checked with a zero-timeout select(), no round trip. What
    that cannot see, a connection dropped silently by the network, takes a while to
    happen; so a connection idle for `PING_AFTER_IDLE_SECONDS` is pinged as before.
    Either failure hands the pool a new connection, as pre-ping did."""

    @event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_connection: Any, record: Any) -> None:
        record.info[_RETURNED_AT] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _on_checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        returned_at = record.info.get(_RETURNED_AT)
        if returned_at is None:  # opened just now
            return
        if time.monotonic() - returned_at > PING_AFTER_IDLE_SECONDS:
            try:
                engine.dialect.do_ping(dbapi_connection)
            except Exception as exc:  # any driver error: this connection is gone
                raise DisconnectionError(f"ping failed: {exc}") from exc
            return
        if dbapi_connection.closed or _readable(dbapi_connection.fileno()):
            raise DisconnectionError("the server closed the pooled connection")


def _readable(fileno: int) -> bool:
    try:
        readable, _, _ = select.select([fileno], [], [], 0)
    except (OSError, ValueError):
        return True  # no usable socket: treat as gone
    return bool(readable)


def _tune_sqlite(engine: Engine, busy_timeout_seconds: float) -> None:
    """WAL, a busy timeout and BEGIN IMMEDIATE, so concurrent writers wait instead of failing.

    pysqlite starts transactions lazily and as DEFERRED, which lets two writers both read
    and then collide on the write; taking the write lock at BEGIN serialises them cleanly.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_seconds * 1000)}")
        cursor.execute("PRAGMA foreign_keys=ON")
        # Deleted and overwritten content is zeroed, not left in free pages of the file:
        # an erased customer's words must not stay readable in the data directory.
        cursor.execute("PRAGMA secure_delete=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # A read (Database.reading) takes no write lock, so it does not queue behind
        # the writers; it sees the last committed state, as WAL readers do.
        reads_only = connection.get_execution_options().get(_READS_ONLY, False)
        connection.exec_driver_sql("BEGIN" if reads_only else "BEGIN IMMEDIATE")


class Database:
    """Owns the SQLAlchemy engine for one database URL."""

    def __init__(
        self,
        url: str,
        *,
        echo: bool = False,
        busy_timeout_seconds: float = 30.0,
        pool_size: int = DEFAULT_POOL_SIZE,
    ) -> None:
        """`busy_timeout_seconds`: on SQLite, how long a write waits for another
        connection's lock before it fails with "database is locked". `pool_size`: the
        connections kept open; a quarter more may open for a burst and close after it
        (4 processes of the default 16 + 4 stay under PostgreSQL's default 100)."""
        parsed = make_url(url)
        if parsed.drivername == "postgresql":
            parsed = parsed.set(drivername="postgresql+psycopg")
        sqlite = parsed.get_backend_name() == "sqlite"
        # A SQLite connection is a file handle, never dropped by a server or network;
        # PostgreSQL's pooled connections are checked on checkout, mostly without a
        # round trip (_check_postgres_on_checkout).
        kwargs: dict[str, Any] = {
            "echo": echo,
            "pool_pre_ping": parsed.get_backend_name() not in ("sqlite", "postgresql"),
        }
        if parsed.get_backend_name() == "postgresql" and sets_connect_timeout(parsed):
            kwargs["connect_args"] = {"connect_timeout": CONNECT_TIMEOUT_SECONDS}
        in_memory = sqlite and parsed.database in (None, "", ":memory:")
        if not in_memory:
            # SQLAlchemy's default keeps 5 connections and closes each above that when it
            # is returned: under bench/scale_out.py's 64 clients a PostgreSQL backend was
            # started and ended for most transactions (7.5% of the profile in the pool's
            # connect). Keep as many as the threads that run transactions.
            kwargs.update(pool_size=pool_size, max_overflow=max(2, pool_size // 4))
        if sqlite and not in_memory:
            folder = Path(parsed.database).parent
            try:
                folder.mkdir(parents=True, exist_ok=True)
            except OSError as exc:  # a data dir that cannot be: a user's mistake, told
                why = "a file is in its place" if folder.is_file() else exc.strerror or exc
                raise StoreError(
                    f"cannot create {folder}, the folder of the SQLite database "
                    f"{parsed.database}: {why}"
                ) from exc
        self.url = parsed
        self.engine = create_engine(parsed, **kwargs)
        if self.dialect == "sqlite":
            _tune_sqlite(self.engine, busy_timeout_seconds)
        elif self.dialect == "postgresql":
            _check_postgres_on_checkout(self.engine)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._queued_hooks: list[Callable[[str], None]] = []
        event.listen(self._sessions, "after_commit", self._tell_queued)
        # SQLite: this process's writers take turns on a lock of their own before BEGIN
        # IMMEDIATE (see `transaction`). Reentrant, so a nested transaction in one
        # thread fails on SQLite's busy timeout as it did, rather than waiting here.
        self._busy_timeout = busy_timeout_seconds
        self._writers = threading.RLock() if self.dialect == "sqlite" else None
        self._writer = (
            SingleWriter(self._writers, lock_timeout_seconds=busy_timeout_seconds)
            if self._writers is not None
            else None
        )

    def on_queued(self, hook: Callable[[str], None]) -> None:
        """Have `hook(queue)` called, in the committing thread, after every commit of a
        transaction that queued rows on `queue` (`crm_store.claims.note_queued`)."""
        self._queued_hooks.append(hook)

    def _tell_queued(self, session: Session) -> None:
        for queue in sorted(session.info.pop(QUEUED, ())):
            for hook in self._queued_hooks:
                try:
                    hook(queue)
                except Exception:  # committed already: a wake-up lost is the poll's to find
                    log.exception("a queued-rows hook failed", extra={"queue": queue})

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One unit of work: everything inside commits together or not at all.

        On SQLite one writer at a time holds the database's write lock; a second one
        waiting for it in BEGIN IMMEDIATE sleeps in SQLite's busy handler (1, 2, 5, 10,
        ... up to 100 ms at a time), so under bench/scale_out.py's 64 clients most of
        the store threads' time went to sleeping past the moment the lock was free.
        This process's writers queue on a lock of their own instead and each starts as
        soon as the one before commits; another process (the CLI) still meets them
        at SQLite's lock, which its busy timeout governs as before."""
        with self._one_writer_at_a_time(), self._sessions() as session, session.begin():
            yield session

    def write(self, work: Callable[[Session], T]) -> T:
        """`work(session)` in one transaction, as `with transaction() as session` runs
        it, for the hot path's writes (a turn's intake and answer). On SQLite it runs on
        this process's one writer thread (crm_store/sqlite_writer.py), which goes from
        one queued transaction to the next without handing the lock over; the caller
        waits for the result, or the exception, once it is committed or rolled back."""
        if self._writer is None:
            return self._write_now(work)
        return self._writer.run(lambda: self._write_now(work))

    async def write_async(self, work: Callable[[Session], T]) -> T:
        """`write` for a caller on the event loop (a turn's intake and answer). On
        SQLite the caller awaits the writer thread's result and holds no worker thread
        meanwhile: through `write` in a worker thread, each queued turn held one of the
        server's bounded worker threads (bot/app.py) only to wait for the writer, so
        under bench/scale_out.py's 64 clients every other thread hop (the widget token's
        revocation check, reads, the queues' claims) waited about a second for a thread
        (bench/README.md, "turns4"). On PostgreSQL a worker thread runs the transaction,
        as before. Either way work handed over runs and commits even if the caller is
        cancelled meanwhile (anyio's worker threads are not abandoned; the writer's job
        is shielded), as it did through `write`: a turn's answer is not dropped half
        way because its request went away."""
        if self._writer is None:
            return await to_thread.run_sync(self._write_now, work)
        job = asyncio.wrap_future(self._writer.submit(lambda: self._write_now(work)))
        return await asyncio.shield(job)

    def _write_now(self, work: Callable[[Session], T]) -> T:
        with self.transaction() as session:
            return work(session)

    @contextmanager
    def _one_writer_at_a_time(self) -> Iterator[None]:
        if self._writers is None:
            yield
            return
        # Past the busy timeout, go on to SQLite's own wait, which fails the same way
        # ("database is locked") as it did before this lock.
        acquired = self._writers.acquire(timeout=self._busy_timeout)
        try:
            yield
        finally:
            if acquired:
                self._writers.release()

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """A read that writes nothing, cheaper than `transaction()` on the hot path
        (the widget token's revocation check on every message). On PostgreSQL it runs
        in autocommit: no BEGIN and COMMIT round trips, each statement sees what was
        committed when it started (so use it for reads that need no snapshot across
        statements). On SQLite a deferred transaction: no wait for the write lock.
        For reads only: on PostgreSQL a write in it would commit by itself."""
        with self.engine.connect() as connection:
            if self.dialect == "postgresql":
                connection.execution_options(isolation_level="AUTOCOMMIT")
            else:
                connection.execution_options(**{_READS_ONLY: True})
            with Session(bind=connection, expire_on_commit=False) as session:
                yield session
                session.rollback()

    async def read_async(self, work: Callable[[Session], T]) -> T:
        """`work(session)` in a `reading()` on a worker thread, for a caller on the event
        loop (a queue worker reading when its next row is due)."""

        def read() -> T:
            with self.reading() as session:
                return work(session)

        return await to_thread.run_sync(read)

    def ping(self) -> None:
        """Raise `StoreUnavailable` unless the database answers a trivial query."""
        try:
            with self.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        except Exception as exc:  # any driver error means: not answering
            raise StoreUnavailable(str(exc)) from exc

    def check_writable(self) -> None:
        """Raise `StoreUnavailable` with the reason unless a write would succeed now: a
        no-op update in a transaction that is rolled back. A read-only SQLite file, a
        full disk, a lock held past the busy timeout or a read-only PostgreSQL (a standby)
        answer SELECT 1 but refuse this."""
        try:
            with self.engine.connect() as connection, connection.begin() as transaction:
                if self.dialect == "postgresql":
                    connection.execute(text("SET LOCAL lock_timeout = '5s'"))
                connection.execute(text("UPDATE alembic_version SET version_num = version_num"))
                transaction.rollback()
        except Exception as exc:  # any driver error means: cannot write now
            raise StoreUnavailable(str(exc)) from exc

    def flush_log(self) -> None:
        """SQLite: copy the write-ahead log into the database file and truncate it, so
        old page images (an erased customer's rows) do not linger in `-wal`. A no-op
        on PostgreSQL, whose old row versions VACUUM reclaims."""
        if self.dialect != "sqlite":
            return
        with self.engine.connect() as connection:
            # On the driver's own connection (autocommit): not inside BEGIN IMMEDIATE.
            raw = connection.connection.driver_connection
            assert raw is not None
            raw.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()

    def dispose(self) -> None:
        if self._writer is not None:
            self._writer.stop()
        self.engine.dispose()
