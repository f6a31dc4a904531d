"""On SQLite, a process's writers take turns on a lock of their own (Database.transaction):
a waiting writer queues there, not in SQLite's busy handler, and starts when the one
before it commits; the hot path's writes (Database.write) run on one writer thread.
On PostgreSQL, whose writers run side by side, Database.write is a transaction in the
caller's thread: the tests of its results run on both. Database.write_async is the
same for callers on the event loop (a turn's intake and answer)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from anyio import to_thread
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from crm_store import Database, upgrade
from crm_store.models import Customer


def test_a_second_writer_waits_for_the_first_to_commit(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    upgrade(url)
    database = Database(url)
    begun: list[str] = []
    event.listen(database.engine, "begin", lambda _connection: begun.append("begin"))
    first_inside, second_done = threading.Event(), threading.Event()
    counted: list[int] = []

    def second_writer() -> None:
        first_inside.wait()
        with database.transaction() as session:
            counted.append(session.scalar(select(func.count()).select_from(Customer)) or 0)
            session.add(Customer(name="Grace"))
        second_done.set()

    thread = threading.Thread(target=second_writer)
    thread.start()
    with database.transaction() as session:
        session.add(Customer(name="Ada"))
        session.flush()
        first_inside.set()
        assert not second_done.wait(0.3)
        assert begun == ["begin"]  # the second has not reached BEGIN IMMEDIATE
    thread.join(timeout=10)
    assert second_done.is_set()
    assert counted == [1]  # it began after the first committed
    assert begun == ["begin", "begin"]
    database.dispose()


def test_writes_from_many_threads_each_commit_once_with_their_own_result(
    database: Database,
) -> None:
    """Database.write: on SQLite on the one writer thread, on PostgreSQL in the caller's."""

    def add(name: str) -> int:
        def work(session: Session) -> int:
            customer = Customer(name=name)
            session.add(customer)
            session.flush()
            return customer.id

        return database.write(work)

    with ThreadPoolExecutor(max_workers=8) as pool:
        ids = list(pool.map(add, [f"customer {n}" for n in range(40)]))
    assert len(set(ids)) == 40
    with database.reading() as session:
        names = dict(session.execute(select(Customer.id, Customer.name)).tuples().all())
    assert [names[i] for i in ids] == [f"customer {n}" for n in range(40)]


@pytest.mark.parametrize("from_the_loop", [False, True], ids=["write", "write_async"])
def test_a_failed_write_is_rolled_back_and_raised_to_its_caller_alone(
    database: Database, from_the_loop: bool
) -> None:
    def fails(session: Session) -> None:
        session.add(Customer(name="Half done"))
        session.flush()
        raise LookupError("the work failed")

    def write(work: Callable[[Session], object]) -> object:
        if from_the_loop:
            return asyncio.run(database.write_async(work))
        return database.write(work)

    with pytest.raises(LookupError, match="the work failed"):
        write(fails)
    assert write(lambda session: session.add(Customer(name="Whole")) or "ok") == "ok"
    with database.reading() as session:
        assert session.scalars(select(Customer.name)).all() == ["Whole"]


def test_a_write_inside_a_write_runs_in_place(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    upgrade(url)
    database = Database(url)
    threads: list[str] = []

    def inner(_session: Session) -> str:
        threads.append(threading.current_thread().name)
        return "inner"

    def outer(_session: Session) -> str:
        threads.append(threading.current_thread().name)
        return database._writer.run(lambda: inner(_session))  # type: ignore[union-attr]

    assert database.write(outer) == "inner"
    assert threads == ["sqlite-writer", "sqlite-writer"]
    database.dispose()


def test_writes_from_the_event_loop_commit_with_no_worker_thread_free(
    database: Database,
) -> None:
    """Database.write_async: on SQLite the caller awaits the writer thread and holds no
    worker thread, so it completes while every worker thread is taken (on PostgreSQL it
    runs in a worker thread, and is tested here with one free)."""

    async def scenario() -> tuple[list[int], list[str]]:
        limiter = to_thread.current_default_thread_limiter()
        limiter.total_tokens = 1
        threads: list[str] = []

        def add(name: str) -> Callable[[Session], int]:
            def work(session: Session) -> int:
                threads.append(threading.current_thread().name)
                customer = Customer(name=name)
                session.add(customer)
                session.flush()
                return customer.id

            return work

        names = [f"customer {n}" for n in range(20)]
        if database.dialect == "sqlite":
            await limiter.acquire()  # every worker thread taken
        try:
            writes = asyncio.gather(*(database.write_async(add(name)) for name in names))
            ids = await asyncio.wait_for(writes, timeout=30)  # not forever, if it waited
        finally:
            if database.dialect == "sqlite":
                limiter.release()
        return ids, threads

    ids, threads = asyncio.run(scenario())
    assert len(set(ids)) == 20
    if database.dialect == "sqlite":
        assert set(threads) == {"sqlite-writer"}
    with database.reading() as session:
        found = dict(session.execute(select(Customer.id, Customer.name)).all())
    assert [found[i] for i in ids] == [f"customer {n}" for n in range(20)]


def test_a_write_from_the_event_loop_commits_when_its_caller_is_cancelled(
    tmp_path: Path,
) -> None:
    """A turn's answer queued for the writer runs even if its request is cancelled
    while it waits, as it did from a worker thread."""
    url = f"sqlite:///{tmp_path / 'store.db'}"
    upgrade(url)
    database = Database(url)
    busy, release = threading.Event(), threading.Event()

    def hold(_session: Session) -> None:
        busy.set()
        release.wait(10)

    async def scenario() -> None:
        holding = asyncio.ensure_future(database.write_async(hold))
        await asyncio.to_thread(busy.wait, 10)
        queued = asyncio.ensure_future(
            database.write_async(lambda session: session.add(Customer(name="Queued")))
        )
        await asyncio.sleep(0.05)
        queued.cancel()
        release.set()
        await holding
        with pytest.raises(asyncio.CancelledError):
            await queued

    asyncio.run(scenario())
    database.write(lambda _session: None)  # after the queued job, on the one writer
    with database.reading() as session:
        assert session.scalars(select(Customer.name)).all() == ["Queued"]
    database.dispose()
