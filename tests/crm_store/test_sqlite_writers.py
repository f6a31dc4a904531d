"""On SQLite, a process's writers take turns on a lock of their own (Database.transaction):
a waiting writer queues there, not in SQLite's busy handler, and starts when the one
before it commits. SQLite only: PostgreSQL's writers run side by side."""

from __future__ import annotations

import threading
from pathlib import Path

from sqlalchemy import event, func, select

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
