"""The one queue worker and its retry policy, on a recording fake queue (no database):
backoff and its cap and jitter, the retry window, Retry-After, lanes, shutdown, bugs."""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.exc import OperationalError

from bot.delivery import queue as queue_module
from bot.delivery.queue import QueueWorker, RetryPolicy
from channels.errors import DeliveryError
from tests.support.waiting import until

NOW = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Row:
    id: int
    attempts: int = 1
    created_at: datetime = NOW
    lane: str = "a"

    @property
    def window_start(self) -> datetime:
        return self.created_at


@dataclass
class FakeQueue:
    """Hands out `due` rows; each perform takes the row's next scripted outcome (a
    result, an exception to raise, or an event to wait on first) and records it all."""

    due: list[Row]
    script: dict[int, list[object]] = field(default_factory=dict)
    performed: list[int] = field(default_factory=list)
    completed: list[tuple[int, object]] = field(default_factory=list)
    retried: list[tuple[int, str, datetime, bool]] = field(default_factory=list)
    failed_for_good: list[tuple[int, str]] = field(default_factory=list)
    released: list[int] = field(default_factory=list)

    async def claim(self, limit: int) -> list[Row]:
        taken, self.due = self.due[:limit], self.due[limit:]
        return taken

    def lanes(self, rows: Sequence[Row]) -> list[list[Row]]:
        lanes: dict[str, list[Row]] = {}
        for row in rows:
            lanes.setdefault(row.lane, []).append(row)
        return list(lanes.values())

    async def perform(self, row: Row) -> object:
        self.performed.append(row.id)
        outcome = self.script.get(row.id, [f"ok-{row.id}"]).pop(0)
        if isinstance(outcome, asyncio.Event):
            await outcome.wait()
            return f"ok-{row.id}"
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome

    async def done(self, row: Row, result: object) -> None:
        self.completed.append((row.id, result))

    async def retry(self, row: Row, failure: DeliveryError, at: datetime, *, counted: bool) -> None:
        self.retried.append((row.id, failure.reason, at, counted))

    async def failed(self, row: Row, failure: DeliveryError) -> None:
        self.failed_for_good.append((row.id, failure.reason))

    async def dead(self, row: Row, failure: DeliveryError) -> None:
        self.failed_for_good.append((row.id, failure.reason))

    async def release(self, rows: Sequence[Row]) -> None:
        self.released.extend(row.id for row in rows)

    async def next_due(self, after: datetime) -> datetime | None:
        return None


def worker(queue: FakeQueue, **policy: float | None) -> QueueWorker[Row, object]:
    return QueueWorker(
        queue,  # type: ignore[arg-type]
        RetryPolicy(**policy),  # type: ignore[arg-type]
        clock=lambda: NOW,
        rand=lambda: 0.5,  # no jitter: delays are exact
        poll_interval_seconds=60.0,
    )


def test_backoff_doubles_up_to_the_cap_within_the_jitter() -> None:
    policy = RetryPolicy(base_delay_seconds=1.0, max_delay_seconds=10.0, jitter=0.2)
    assert [policy.delay(n, rand=lambda: 0.5) for n in range(1, 7)] == [1, 2, 4, 8, 10, 10]
    assert policy.delay(3, rand=lambda: 0.0) == pytest.approx(3.2)
    assert policy.delay(3, rand=lambda: 1.0) == pytest.approx(4.8)
    draws = [policy.delay(20, rand=random.Random(7).random) for _ in range(200)]
    assert all(8.0 <= d <= 12.0 for d in draws)  # capped, then jittered by +-20 %


async def test_a_temporary_failure_is_retried_after_the_backoff_and_counted() -> None:
    queue = FakeQueue([Row(1, attempts=3)], {1: [DeliveryError("timeout")]})
    assert await worker(queue).work_due() == 1
    assert queue.retried == [(1, "timeout", NOW + timedelta(seconds=4), True)]
    assert queue.failed_for_good == [] and queue.completed == []


async def test_out_of_attempts_or_refused_fails_with_the_error() -> None:
    queue = FakeQueue(
        [Row(1, attempts=4), Row(2, attempts=1, lane="b")],
        {1: [DeliveryError("timeout")], 2: [DeliveryError("bad number", retryable=False)]},
    )
    await worker(queue, max_attempts=4).work_due()
    assert sorted(queue.failed_for_good) == [(1, "timeout"), (2, "bad number")]
    assert queue.retried == []


async def test_the_retry_window_ends_retries_with_the_last_error() -> None:
    inside = Row(1, attempts=3, created_at=NOW - timedelta(seconds=50))
    outside = Row(2, attempts=3, created_at=NOW - timedelta(seconds=58), lane="b")
    queue = FakeQueue(
        [inside, outside], {1: [DeliveryError("5xx")], 2: [DeliveryError("last: 5xx")]}
    )
    # The next try is 4 s away: inside a 60 s window for the first, past it for the second.
    await worker(queue, retry_window_seconds=60.0).work_due()
    assert queue.retried == [(1, "5xx", NOW + timedelta(seconds=4), True)]
    assert queue.failed_for_good == [(2, "last: 5xx")]


async def test_retry_after_is_honoured_and_not_counted() -> None:
    queue = FakeQueue(
        [Row(1, attempts=6), Row(2, attempts=1, lane="b")],
        {
            1: [DeliveryError("rate limited (429)", retry_after=30.0)],
            2: [DeliveryError("rate limited (429)", retry_after=3600.0)],
        },
    )
    await worker(queue, max_attempts=6, retry_window_seconds=600.0).work_due()
    # Out of attempts, yet waiting as asked is not a failed try...
    assert queue.retried == [(1, "rate limited (429)", NOW + timedelta(seconds=30), False)]
    # ...but the window still holds.
    assert queue.failed_for_good == [(2, "rate limited (429)")]


async def test_a_perform_that_raises_a_bug_is_retried_not_lost() -> None:
    queue = FakeQueue([Row(1)], {1: [RuntimeError("boom")]})
    await worker(queue).work_due()
    assert queue.retried == [(1, "RuntimeError: boom", NOW + timedelta(seconds=1), True)]


async def test_lanes_run_concurrently_and_each_in_order() -> None:
    gate = asyncio.Event()
    queue = FakeQueue(
        [Row(1, lane="slow"), Row(2, lane="slow"), Row(3, lane="quick"), Row(4, lane="quick")],
        {1: [gate]},
    )
    pass_ = asyncio.create_task(worker(queue).work_due())
    while len(queue.completed) < 2:  # the quick lane finishes while the slow one waits
        await asyncio.sleep(0.01)
    assert queue.performed == [1, 3, 4]
    gate.set()
    assert await pass_ == 4
    assert [row_id for row_id, _ in queue.completed] == [3, 4, 1, 2]


async def test_stop_finishes_within_the_grace_and_hands_the_rest_back() -> None:
    stuck, quick = asyncio.Event(), asyncio.Event()
    queue = FakeQueue(
        [Row(1, lane="a"), Row(2, lane="a"), Row(3, lane="b"), Row(4, lane="c"), Row(5, lane="b")],
        {1: [stuck], 3: [quick]},
    )
    queue_worker = worker(queue)
    pass_ = asyncio.create_task(queue_worker.work_due())
    while len(queue.performed) < 3:
        await asyncio.sleep(0.01)
    asyncio.get_running_loop().call_later(0.01, quick.set)  # finishes within the grace
    await queue_worker.stop(grace_seconds=0.2)
    await pass_

    assert sorted(row_id for row_id, _ in queue.completed) == [3, 4]
    # Cut off mid-perform (1), and not started once stopping (2 behind 1, 5 behind 3).
    assert sorted(queue.released) == [1, 2, 5]
    assert queue.performed == [1, 3, 4]
    assert await queue_worker.work_due() == 0 and queue.performed == [1, 3, 4]


async def test_run_sleeps_until_woken_and_stops() -> None:
    queue = FakeQueue([Row(1)])
    queue_worker = worker(queue)
    running = asyncio.create_task(queue_worker.run())
    while not queue.completed:
        await asyncio.sleep(0.01)
    queue.due.append(Row(2))
    await asyncio.sleep(0.05)
    assert queue.performed == [1]  # asleep: the poll interval is a minute
    queue_worker.wake()
    while len(queue.completed) < 2:
        await asyncio.sleep(0.01)
    await queue_worker.stop(grace_seconds=1.0)
    await asyncio.wait_for(running, timeout=1.0)
    assert queue.completed == [(1, "ok-1"), (2, "ok-2")] and queue.released == []


@dataclass
class TimedQueue(FakeQueue):
    """A FakeQueue whose rows fall due at their time (the real clock), counting claims."""

    due_at: dict[int, datetime] = field(default_factory=dict)
    claims: int = 0

    async def claim(self, limit: int) -> list[Row]:
        self.claims += 1
        now = datetime.now(UTC)
        taken = [row for row in self.due if self.due_at.get(row.id, now) <= now][:limit]
        self.due = [row for row in self.due if row not in taken]
        return taken

    async def next_due(self, after: datetime) -> datetime | None:
        waiting = [
            self.due_at[row.id] for row in self.due if self.due_at.get(row.id, after) > after
        ]
        return min(waiting, default=None)


def idle_worker(queue: TimedQueue) -> QueueWorker[Row, object]:
    """A worker whose safety-net poll (a minute) never comes in these tests."""
    return QueueWorker(queue, RetryPolicy(), poll_interval_seconds=60.0)  # type: ignore[arg-type]


async def test_an_idle_worker_claims_once_and_not_again_until_woken() -> None:
    queue = TimedQueue([])
    queue_worker = idle_worker(queue)
    running = asyncio.create_task(queue_worker.run())
    await until(lambda: queue.claims == 1)
    await asyncio.sleep(0.3)
    assert queue.claims == 1  # nothing due, nothing waiting: asleep until the poll
    queue.due.append(Row(1))
    queue_worker.wake()  # as whoever queued the row does
    await until(lambda: bool(queue.completed))
    await queue_worker.stop(grace_seconds=1.0)
    await asyncio.wait_for(running, timeout=5.0)
    # The woken pass took the row; the one after found nothing.
    assert queue.completed == [(1, "ok-1")] and queue.claims == 3


async def test_a_row_due_later_is_performed_at_its_time_without_a_wake_up() -> None:
    later = datetime.now(UTC) + timedelta(seconds=0.5)
    queue = TimedQueue([Row(1)], due_at={1: later})
    queue_worker = idle_worker(queue)
    running = asyncio.create_task(queue_worker.run())
    await until(lambda: bool(queue.completed))
    performed_at = datetime.now(UTC)
    await until(lambda: queue.claims >= 3)
    await asyncio.sleep(0.3)
    await queue_worker.stop(grace_seconds=1.0)
    await asyncio.wait_for(running, timeout=5.0)
    assert performed_at >= later and queue.completed == [(1, "ok-1")]
    # One claim found it waiting, one at its time took it, one after found nothing
    # (and one more should the timer fire a hair early): no polls between.
    assert queue.claims in (3, 4)


async def test_a_wake_up_cuts_the_sleep_until_a_later_row_short() -> None:
    queue = TimedQueue([Row(1)], due_at={1: datetime.now(UTC) + timedelta(seconds=60)})
    queue_worker = idle_worker(queue)
    running = asyncio.create_task(queue_worker.run())
    await until(lambda: queue.claims == 1)
    queue.due.append(Row(2, lane="b"))
    queue_worker.wake()
    await until(lambda: bool(queue.completed))
    await queue_worker.stop(grace_seconds=1.0)
    await asyncio.wait_for(running, timeout=5.0)
    assert queue.completed == [(2, "ok-2")] and queue.performed == [2]


@dataclass
class FlakyClaimQueue(FakeQueue):
    """A FakeQueue whose claims raise each of `errors` in turn, then work."""

    errors: list[Exception] = field(default_factory=list)

    async def claim(self, limit: int) -> list[Row]:
        if self.errors:
            raise self.errors.pop(0)
        return await super().claim(limit)


def _database_away() -> OperationalError:
    return OperationalError(
        "SELECT 1", {}, Exception("connection failed: connection refused\nIs the server running?")
    )


async def _run_until_completed(queue: FlakyClaimQueue, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(queue_module, "RETRY_FAILED_PASS_SECONDS", 0.01)
    queue_worker = worker(queue)
    running = asyncio.create_task(queue_worker.run())
    await until(lambda: bool(queue.completed))
    await queue_worker.stop(grace_seconds=1.0)
    await asyncio.wait_for(running, timeout=5.0)


async def test_the_database_away_is_one_warning_and_one_recovery_not_a_traceback_a_pass(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="bot.delivery.queue")
    queue = FlakyClaimQueue([Row(1)], errors=[_database_away() for _ in range(4)])
    await _run_until_completed(queue, monkeypatch)

    records = [r for r in caplog.records if r.name == "bot.delivery.queue"]
    (warning,) = [r for r in records if r.levelno >= logging.WARNING]
    assert warning.getMessage() == (
        "queue queue failing: connection failed: connection refused "
        "(retrying; repeats at DEBUG until it works)"
    )
    assert warning.exc_info is None
    assert [r.levelno for r in records if "failing" in r.getMessage()] == [
        logging.WARNING,
        logging.DEBUG,
        logging.DEBUG,
        logging.DEBUG,
    ]
    (recovered,) = [r for r in records if r.levelno == logging.INFO]
    assert recovered.getMessage() == "queue queue working again after 4 failed tries"
    assert queue.completed == [(1, "ok-1")]


async def test_a_failing_pass_that_is_a_bug_keeps_its_traceback_every_time(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    queue = FlakyClaimQueue([Row(1)], errors=[KeyError("bug"), KeyError("bug")])
    await _run_until_completed(queue, monkeypatch)

    errors = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert [r.getMessage() for r in errors] == ["queue pass failed; trying again"] * 2
    assert all(r.exc_info is not None for r in errors)
