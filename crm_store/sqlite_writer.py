"""SQLite's one writer thread: the hot path's write transactions (a turn's intake and
answer) run one after another on a thread of their own, which takes the process's
writer lock once for a run of them.

With the lock alone (crm_store/database.py), each commit handed the lock to another
thread, which then had to win the interpreter lock before it could start; under
bench/scale_out.py's 64 clients the write lock was idle for much of the time between
one transaction and the next. Here the writer goes from one queued transaction to the
next without a hand-over; the callers wait for their own result. Each job is still its
own transaction (BEGIN IMMEDIATE ... COMMIT): no job's failure touches another's, and a
caller returns only once its work is committed.

Group commit (several jobs in one COMMIT, each in a SAVEPOINT of its own) was weighed
again for issue 16 and not done. The COMMIT is 9% of the busy samples on SQLite under
bench/scale_out.py's 64 clients (WAL, `synchronous` FULL: an fsync each), so grouping
would save some of that, but at a price in correctness: a job's session "commits" when
its savepoint is released, so any `after_commit` hook would run before the real COMMIT
(crm_store/webhook_listeners.py's forgets the cached subscriptions there; the turn's
jobs do not change subscriptions today, but nothing would keep one from it), and
whoever it wakes would read the old rows from another connection; and a failed group
COMMIT (disk full, I/O error) fails every job in it, so a job that did nothing wrong is
told it failed because of its batch. Each job stays its own transaction.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, TypeVar

__all__ = ["SingleWriter"]

T = TypeVar("T")
# Jobs run per hold of the writer lock, so a `Database.transaction()` elsewhere in the
# process (a queue worker's claim) is not kept waiting by a steady stream of turns.
_JOBS_PER_HOLD = 32
_Job = tuple[Callable[[], Any], "Future[Any]"]
_WAIT: Any = object()  # the queue was empty: wait for the next job


class SingleWriter:
    """Runs jobs on one thread, started on first use, holding `lock` while it works."""

    def __init__(self, lock: threading.RLock, *, lock_timeout_seconds: float) -> None:
        self._lock = lock
        self._lock_timeout = lock_timeout_seconds
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._starting = threading.Lock()

    def run(self, job: Callable[[], T]) -> T:
        """`job()`'s result (or its exception), run on the writer thread."""
        if threading.current_thread() is self._thread:
            return job()  # a job that writes again: run in place, as a nested call would
        return self.submit(job).result()

    def submit(self, job: Callable[[], T]) -> Future[T]:
        """`job` queued for the writer thread; its future holds the result or the
        exception once the job is committed or rolled back. For callers on an event loop
        (`Database.write_async`), which wait for it without a thread of their own."""
        self._start()
        future: Future[T] = Future()
        self._jobs.put((job, future))
        return future

    def stop(self) -> None:
        if self._thread is not None:
            self._jobs.put(None)
            self._thread.join(timeout=30)
            self._thread = None

    def _start(self) -> None:
        if self._thread is not None:
            return
        with self._starting:
            if self._thread is None:
                thread = threading.Thread(target=self._serve, name="sqlite-writer", daemon=True)
                thread.start()
                self._thread = thread

    def _serve(self) -> None:
        item = self._jobs.get()
        while item is not None:
            # Past the timeout, run anyway: SQLite's busy timeout then decides, as before.
            acquired = self._lock.acquire(timeout=self._lock_timeout)
            try:
                for _ in range(_JOBS_PER_HOLD):
                    _perform(item)
                    try:
                        item = self._jobs.get_nowait()
                    except queue.Empty:
                        item = _WAIT
                        break
                    if item is None:
                        return
            finally:
                if acquired:
                    self._lock.release()
            if item is _WAIT:
                item = self._jobs.get()


def _perform(item: _Job) -> None:
    job, future = item
    if not future.set_running_or_notify_cancel():
        return
    try:
        result = job()
    except BaseException as exc:  # handed to the caller, who raises it
        future.set_exception(exc)
    else:
        future.set_result(result)
