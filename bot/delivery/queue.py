"""One queue worker and one retry policy for every delivery queue.

A queue (the customer outbox, the Slack call queue, later campaign sends and outbound
webhooks) says only how to claim due rows, when its next row falls due, which of them
must go in order, how to perform one, and how to record what came of it. The loop, the
wake-ups, the batches, the rows in flight, the shutdown and the backoff live here, once.

An idle worker does not poll: when a claim finds nothing, it reads when the queue's
next row falls due (a retry's time, or the end of a claim's lease, after which a row
whose process died comes back) and sleeps until then, or until woken (whoever queues a
row wakes it: in this process directly, from another through crm_store/wakeups.py), or
until the poll interval passes: the safety net for a row written where nothing wakes
this process (a CLI on SQLite, a lost NOTIFY).

A row's perform either returns a result (the row is done) or raises: a `DeliveryError`
says whether trying again may help, how long the provider asks to wait (`retry_after`)
and whether the provider may have acted anyway (`uncertain`); any other exception is a
bug or a store hiccup and is retried like a temporary failure, so no row is lost to it.

Two ends that are not success: `failed` (the provider refused for good: an opt-out, a
4xx) and `dead` (trying again might have helped, but the row's retry window is over).
Dead rows are kept with their last error, listed and alerted, and an admin may retry
them once the provider is back.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Generic, Protocol, TypeVar

from channels.errors import DeliveryError
from crm_store.errors import is_unavailable
from crm_store.outage_log import OutageLog

log = logging.getLogger(__name__)

# After a pass or a read of the next due time failed (the store is down), the next try.
RETRY_FAILED_PASS_SECONDS = 1.0

__all__ = ["Queue", "QueueWorker", "QueuedRow", "RetryPolicy"]


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """When a failed row is tried again, and when it is given up as dead.

    Backoff doubles from `base_delay_seconds` up to `max_delay_seconds`, with +-`jitter`
    so retries of many rows do not arrive in lockstep. Retries are measured in time: a
    row is dead when its next try would start later than `retry_window_seconds` after
    its window began (its creation, or an admin's retry; `None`: no window), or after
    `max_attempts` tries when a count is set (`None`: only the window ends retries, so
    a provider down for an hour does not use up a row in a minute). A provider's
    Retry-After replaces the backoff and does not use up an attempt (the window still
    holds)."""

    max_attempts: int | None = 6
    base_delay_seconds: float = 1.0
    max_delay_seconds: float = 300.0
    jitter: float = 0.2
    retry_window_seconds: float | None = None

    def delay(self, attempt: int, rand: Callable[[], float] = random.random) -> float:
        """Seconds to wait after failed attempt number `attempt` (1-based)."""
        plain = min(self.max_delay_seconds, self.base_delay_seconds * 2 ** (attempt - 1))
        return plain * (1 + self.jitter * (2 * rand() - 1))

    def next_attempt(
        self,
        failure: DeliveryError,
        *,
        attempts: int,
        created_at: datetime,
        now: datetime,
        rand: Callable[[], float] = random.random,
    ) -> datetime | None:
        """When to try a row again after `failure` on its try number `attempts`, or
        None when it has failed for good (`failure` not retryable) or is dead.
        `created_at` is when the row's retry window began."""
        if not failure.retryable:
            return None
        if failure.retry_after is not None:
            at = now + timedelta(seconds=failure.retry_after)
        elif self.max_attempts is not None and attempts >= self.max_attempts:
            return None
        else:
            at = now + timedelta(seconds=self.delay(attempts, rand))
        window = self.retry_window_seconds
        if window is not None and at > created_at + timedelta(seconds=window):
            return None
        return at


class QueuedRow(Protocol):
    """What the worker reads of a claimed row (the queues' own record dataclasses)."""

    @property
    def id(self) -> int: ...

    @property
    def attempts(self) -> int:
        """Tries so far, the one just claimed included."""
        ...

    @property
    def window_start(self) -> datetime:
        """When the row's retry window began: its creation, or an admin's retry."""
        ...


Row = TypeVar("Row", bound=QueuedRow)
Result = TypeVar("Result")


class Queue(Protocol[Row, Result]):
    """One queue as the worker sees it. Claiming marks rows taken (with a lease, so a
    row whose process died comes back); every other call is about rows claimed here."""

    async def claim(self, limit: int) -> Sequence[Row]:
        """Take up to `limit` due rows, counting a try on each."""
        ...

    async def next_due(self, after: datetime) -> datetime | None:
        """When the first row that was not due at `after` falls due (a retry's time, or
        the end of a claim's lease); None when no row waits."""
        ...

    def lanes(self, rows: Sequence[Row]) -> Iterable[Sequence[Row]]:
        """The claimed rows split into lanes: each lane in order, lanes concurrently."""
        ...

    async def perform(self, row: Row) -> Result:
        """Do the row's work; raise `DeliveryError` when it did not happen."""
        ...

    async def done(self, row: Row, result: Result) -> None: ...

    async def retry(self, row: Row, failure: DeliveryError, at: datetime, *, counted: bool) -> None:
        """Give the row back to be tried at `at`; `counted=False` takes back the try
        just claimed (the provider asked to wait: not a failure)."""
        ...

    async def failed(self, row: Row, failure: DeliveryError) -> None:
        """The provider refused the row for good (`failure` is not retryable)."""
        ...

    async def dead(self, row: Row, failure: DeliveryError) -> None:
        """Trying again might have helped, but the row's retry window (or attempt count)
        is over: park it as dead with `failure` as its last error, and raise the alarm."""
        ...

    async def release(self, rows: Sequence[Row]) -> None:
        """Hand claimed rows back at shutdown, uncounting their try (some may have been
        cut off mid-perform)."""
        ...


class QueueWorker(Generic[Row, Result]):
    """Works a queue until stopped: claims due rows in batches, performs them, records
    each outcome, and when none are due sleeps until the next row falls due, a wake-up,
    or the poll interval (the safety net), whichever comes first.

    Satisfies `bot.workers.Worker`; `wake()` is for whoever just queued a row."""

    def __init__(
        self,
        queue: Queue[Row, Result],
        policy: RetryPolicy | None = None,
        *,
        batch_size: int = 20,
        poll_interval_seconds: float = 1.0,
        clock: Callable[[], datetime] = _utcnow,
        rand: Callable[[], float] = random.random,
        name: str = "queue",
    ) -> None:
        self.queue = queue
        self.policy = policy or RetryPolicy()
        self.name = name
        self._batch_size = batch_size
        self._poll_interval = poll_interval_seconds
        self._clock = clock
        self._rand = rand
        self._wakeup = asyncio.Event()
        self._stopping = False
        self._lanes: set[asyncio.Task[None]] = set()
        self._unfinished: dict[int, Row] = {}  # claimed, outcome not yet recorded
        # The database away: one line when passes start failing, one when they work
        # again. Any other failure is a bug and keeps its traceback, every time.
        self._outage = OutageLog(log, f"{name} queue", extra={"queue": name})

    def wake(self) -> None:
        """Tell the worker new rows are waiting (called after they are committed)."""
        self._wakeup.set()

    async def run(self) -> None:
        """Work until `stop()`: pass after pass while there is work, else sleep until
        the next row falls due, a wake-up or the poll interval."""
        while not self._stopping:
            self._wakeup.clear()  # a wake during the pass below makes the next one at once
            started = self._clock()
            try:
                worked = await self.work_backlog()
            except Exception as exc:
                self._pass_failed(exc, "queue pass failed; trying again")
                await self._sleep(min(self._poll_interval, RETRY_FAILED_PASS_SECONDS))
                continue
            self._outage.recovered()
            if worked == 0 and not self._stopping:
                await self._sleep(await self._seconds_until_due(started))

    async def _seconds_until_due(self, started: datetime) -> float:
        """How long an idle worker sleeps: until the first row not due when its pass
        started falls due, at most the poll interval."""
        try:
            due = await self.queue.next_due(started)
        except Exception as exc:
            self._pass_failed(exc, "reading the next due row failed")
            return min(self._poll_interval, RETRY_FAILED_PASS_SECONDS)
        if due is None:
            return self._poll_interval
        return max(0.0, min(self._poll_interval, (due - self._clock()).total_seconds()))

    def _pass_failed(self, error: Exception, message: str) -> None:
        if is_unavailable(error):
            self._outage.failed(error)
        else:
            log.exception(message, extra={"queue": self.name})

    async def _sleep(self, seconds: float) -> None:
        """Sleep `seconds`, or less when woken (or stopped)."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wakeup.wait(), seconds)

    async def work_backlog(self) -> int:
        """What `run` does while rows are due: one pass here; a queue whose passes can
        overlap (campaign sends) works its whole backlog in one call."""
        return await self.work_due()

    async def work_due(self) -> int:
        """One pass: claim due rows and work them, lane by lane. Returns how many were
        claimed."""
        rows = await self._claim_batch()
        if rows:
            await self._finish_batch(self._start_batch(rows))
        return len(rows)

    async def _claim(self, limit: int) -> Sequence[Row]:
        return await self.queue.claim(limit)

    async def _claim_batch(self) -> list[Row]:
        """Claim a batch and hold it as unfinished; none when stopping (a batch claimed
        while the worker was told to stop is handed back at once, untried)."""
        if self._stopping:
            return []
        rows = list(await self._claim(self._batch_size))
        for row in rows:
            self._unfinished[row.id] = row
        if rows and self._stopping:  # stopped while claiming: nothing started
            for row in rows:
                self._unfinished.pop(row.id, None)
            await self.queue.release(rows)
            return []
        return rows

    def _start_batch(self, rows: Sequence[Row]) -> set[asyncio.Task[None]]:
        tasks = {asyncio.create_task(self._work_lane(lane)) for lane in self.queue.lanes(rows)}
        self._lanes |= tasks
        return tasks

    async def _finish_batch(self, tasks: set[asyncio.Task[None]]) -> None:
        try:
            await asyncio.gather(*tasks, return_exceptions=True)
        finally:
            self._lanes -= tasks

    async def stop(self, grace_seconds: float = 10.0) -> None:
        """Stop claiming and starting rows; let those in flight finish within
        `grace_seconds`, cancel the rest, and hand every unfinished row back."""
        self._stopping = True
        self._wakeup.set()
        lanes = set(self._lanes)
        if lanes:
            _, late = await asyncio.wait(lanes, timeout=grace_seconds)
            for task in late:
                task.cancel()
            await asyncio.gather(*late, return_exceptions=True)
        await self._release_unfinished()

    async def _release_unfinished(self) -> None:
        rows = list(self._unfinished.values())
        self._unfinished.clear()
        if rows:
            await self.queue.release(rows)
            log.warning(
                "handed rows back at shutdown",
                extra={"queue": self.name, "row_ids": [row.id for row in rows]},
            )

    def policy_for(self, row: Row) -> RetryPolicy:
        """The retry policy of one row (a queue with a window per channel overrides it)."""
        return self.policy

    async def _work_lane(self, lane: Sequence[Row]) -> None:
        for index, row in enumerate(lane):
            if self._stopping:
                return  # left unfinished: stop() hands it back
            if not await self._work(row):
                # The lane's order holds across retries: what waits behind a row to be
                # retried goes back untried (its claim uncounted), not ahead of it.
                rest = list(lane[index + 1 :])
                for later in rest:
                    self._unfinished.pop(later.id, None)
                if rest:
                    await self._give_back(rest)
                return

    async def _give_back(self, rows: Sequence[Row]) -> None:
        try:
            await self.queue.release(rows)
        except Exception:  # the store failed: the rows' lease brings them back
            log.exception("handing rows back failed", extra={"queue": self.name})

    async def _work(self, row: Row) -> bool:
        """Perform one row and record its outcome; False when it is to be retried."""
        outcome: Result | DeliveryError
        try:
            outcome = await self.queue.perform(row)
        except asyncio.CancelledError:
            raise  # cut off at shutdown: stays unfinished, stop() hands it back
        except DeliveryError as failure:
            outcome = failure
        except Exception as exc:  # a bug or a store hiccup must not lose the row
            log.exception("performing a row raised", extra={"queue": self.name, "row_id": row.id})
            outcome = DeliveryError(f"{type(exc).__name__}: {exc}")
        try:
            if isinstance(outcome, DeliveryError):
                return await self._record_failure(row, outcome)
            await self.queue.done(row, outcome)
            return True
        except asyncio.CancelledError:
            raise
        except Exception:  # the store failed: the row's lease brings it back
            log.exception(
                "recording a row's outcome failed", extra={"queue": self.name, "row_id": row.id}
            )
            return False
        finally:
            self._unfinished.pop(row.id, None)

    async def _record_failure(self, row: Row, failure: DeliveryError) -> bool:
        """Record a failed perform; True when the row is finished (failed or dead)."""
        at = self.policy_for(row).next_attempt(
            failure,
            attempts=row.attempts,
            created_at=row.window_start,
            now=self._clock(),
            rand=self._rand,
        )
        if at is None and not failure.retryable:
            await self.queue.failed(row, failure)
        elif at is None:
            await self.queue.dead(row, failure)
        else:
            await self.queue.retry(row, failure, at, counted=failure.retry_after is None)
            return False
        return True
