"""Where a web chat turn's wall time goes inside one server process, for
bench/scale_out.py `--stages`: wraps the turn's stages (thread hand-overs, the store's
transactions, the encoder's queue, NLU, the dialogue) with timers from outside, so the
server's own code carries no instrumentation, and writes what it measured to the file
named by SWITCHBOARD_BENCH_STAGES when it exits.

Started in place of `python -m bot.cli`: `python -m bench.turn_stages serve --port N`
(one process only: uvicorn's `--workers` children would start without the timers).
Each figure is a duration in seconds, one per occurrence; `encoder.batch` holds the
sizes of the batches the encoder's micro-batcher formed, `loop.lag` how late the event
loop ran a 10 ms sleep (a busy loop delays every turn's every await).
"""

from __future__ import annotations

import asyncio
import atexit
import functools
import json
import os
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

_FIGURES: dict[str, list[float]] = defaultdict(list)
_GUARD = threading.Lock()
# Writing every figure so far costs the server's interpreter: every second, it was 5% of
# the samples that held the GIL (py-spy --gil) late in a run. At exit, and now and then.
_DUMP_SECONDS = 15.0


def note(stage: str, value: float) -> None:
    with _GUARD:
        _FIGURES[stage].append(value)


def timed_sync(
    stage: str,
    function: Callable[..., Any],
    clock: Callable[[], float] = time.perf_counter,
    record: Callable[[str, float], None] = note,
) -> Callable[..., Any]:
    """`function` noting how long each call took by `clock` (bench/turn_cost.py times
    CPU with the same wrappers)."""

    @functools.wraps(function)
    def timed(*args: Any, **kwargs: Any) -> Any:
        began = clock()
        try:
            return function(*args, **kwargs)
        finally:
            record(stage, clock() - began)

    return timed


def timed_async(
    stage: str,
    function: Callable[..., Any],
    clock: Callable[[], float] = time.perf_counter,
    record: Callable[[str, float], None] = note,
) -> Callable[..., Any]:
    """`timed_sync` for a coroutine function."""

    @functools.wraps(function)
    async def timed(*args: Any, **kwargs: Any) -> Any:
        began = clock()
        try:
            return await function(*args, **kwargs)
        finally:
            record(stage, clock() - began)

    return timed


def _queued(stage: str, function: Callable[..., Any]) -> Callable[..., Any]:
    """`function` wrapped to note how long it waited between being handed over (now)
    and starting (on another thread)."""
    handed = time.perf_counter()

    @functools.wraps(function)
    def started(*args: Any, **kwargs: Any) -> Any:
        note(stage, time.perf_counter() - handed)
        return function(*args, **kwargs)

    return started


class _ToThread:
    """anyio's `to_thread` for one module, noting each call's wait for a thread."""

    def __init__(self, stage: str) -> None:
        from anyio import to_thread

        self._real = to_thread
        self._stage = stage

    async def run_sync(self, function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        return await self._real.run_sync(_queued(self._stage, function), *args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)


def timed_messages_route(
    app: Any,
    stage: str,
    clock: Callable[[], float] = time.perf_counter,
    record: Callable[[str, float], None] = note,
) -> Any:
    """The ASGI `app`, noting by `clock` each web chat message's request."""

    async def asgi(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["path"] != "/api/v1/webchat/messages":
            return await app(scope, receive, send)
        began = clock()
        try:
            return await app(scope, receive, send)
        finally:
            record(stage, clock() - began)

    return asgi


async def _loop_lag() -> None:
    while True:
        began = time.perf_counter()
        await asyncio.sleep(0.01)
        note("loop.lag", time.perf_counter() - began - 0.01)


def install(path: Path) -> None:
    import bot.conversation.engine as engine_module
    import crm_store.database as database_module
    import knowledge.base as knowledge_base
    import nlu.model as nlu_model
    from bot.conversation.engine import ConversationEngine
    from crm_store.database import Database
    from knowledge.embeddings import SentenceEncoder

    # Where the turn's two transactions hand over to a worker thread: the engine before
    # Database.write_async, the database since (on PostgreSQL; SQLite's writer takes
    # them from the event loop).
    for module in (engine_module, database_module):
        if hasattr(module, "to_thread"):
            module.to_thread = _ToThread("thread.wait (intake, answer)")  # type: ignore[attr-defined]
    engine = ConversationEngine
    receive = engine.receive
    lag_started = threading.Event()

    async def turn(self: Any, message: Any) -> Any:
        if not lag_started.is_set():
            lag_started.set()
            asyncio.get_running_loop().create_task(_loop_lag())
        began = time.perf_counter()
        try:
            return await receive(self, message)
        finally:
            note("turn (engine.receive)", time.perf_counter() - began)

    engine.receive = turn  # type: ignore[method-assign]
    timed = timed_async if asyncio.iscoroutinefunction(engine._intake) else timed_sync
    engine._intake = timed("intake", engine._intake)  # type: ignore[method-assign]
    engine._understand = timed_async("understand (NLU)", engine._understand)  # type: ignore[method-assign]
    engine._respond = timed_async("respond (dialogue)", engine._respond)  # type: ignore[method-assign]

    write = Database.write

    def queued_write(self: Database, work: Callable[[Any], Any]) -> Any:
        handed = time.perf_counter()

        def timed(session: Any) -> Any:
            note("write.start (queue, checkout, BEGIN)", time.perf_counter() - handed)
            return work(session)

        return write(self, timed)

    Database.write = queued_write  # type: ignore[method-assign]
    write_async = getattr(Database, "write_async", None)
    if write_async is not None:

        async def queued_write_async(self: Database, work: Callable[[Any], Any]) -> Any:
            handed = time.perf_counter()

            def timed(session: Any) -> Any:
                note("write.start (queue, checkout, BEGIN)", time.perf_counter() - handed)
                return work(session)

            return await write_async(self, timed)

        Database.write_async = queued_write_async  # type: ignore[attr-defined]
    write_now = Database._write_now

    def transaction(self: Database, work: Callable[[Any], Any]) -> Any:
        began, cpu = time.perf_counter(), time.thread_time()
        try:
            return write_now(self, work)
        finally:
            note("write.transaction", time.perf_counter() - began)
            note("write.transaction, its thread's CPU", time.thread_time() - cpu)

    Database._write_now = transaction  # type: ignore[method-assign]

    encode = SentenceEncoder.encode

    def counted_encode(self: SentenceEncoder, texts: Any, **kwargs: Any) -> Any:
        began = time.perf_counter()
        try:
            return encode(self, texts, **kwargs)
        finally:
            if threading.current_thread().name == "sentence-encoder":
                note("encoder.batch", float(len(texts)))
                note("encoder.run", time.perf_counter() - began)

    SentenceEncoder.encode = counted_encode  # type: ignore[method-assign]
    SentenceEncoder.encode_async = timed_async("encode_async (wait)", SentenceEncoder.encode_async)  # type: ignore[method-assign]

    class _Asyncio:
        """nlu.model's and knowledge.base's asyncio, noting to_thread's wait."""

        def __init__(self, stage: str) -> None:
            self._stage = stage

        async def to_thread(self, function: Callable[..., Any], *args: Any, **kw: Any) -> Any:
            return await asyncio.to_thread(_queued(self._stage, function), *args, **kw)

        def __getattr__(self, name: str) -> Any:
            return getattr(asyncio, name)

    nlu_model.asyncio = _Asyncio("thread.wait (classify, search)")  # type: ignore[assignment]
    knowledge_base.asyncio = _Asyncio("thread.wait (classify, search)")  # type: ignore[assignment]
    nlu_model.NluModel._result = timed_sync("classify (thread)", nlu_model.NluModel._result)  # type: ignore[attr-defined]
    knowledge_base.KnowledgeBase.search_vector = timed_sync(  # type: ignore[method-assign]
        "search (thread)", knowledge_base.KnowledgeBase.search_vector
    )

    from bot.delivery.outbox_queue import OutboxQueue

    OutboxQueue._claim = timed_sync("outbox claim (thread)", OutboxQueue._claim)  # type: ignore[method-assign]

    import bot.app as app_module

    create_app = app_module.create_app

    def timed_app(*args: Any, **kwargs: Any) -> Any:
        return timed_messages_route(create_app(*args, **kwargs), "http (the app, POST messages)")

    app_module.create_app = timed_app  # type: ignore[assignment]

    def dump() -> None:
        with _GUARD:
            figures = {stage: list(values) for stage, values in _FIGURES.items()}
        path.write_text(json.dumps(figures))

    def dump_now_and_then() -> None:
        while True:  # in case the process is killed before it exits
            time.sleep(_DUMP_SECONDS)
            dump()

    atexit.register(dump)  # `switchboard serve` exits on SIGTERM (bench/scale_out.py's end)
    threading.Thread(target=dump_now_and_then, name="bench-stages", daemon=True).start()


def summary(path: Path) -> list[str]:
    """Per stage: how often, mean, p50, p99 (ms; batch sizes as counts)."""
    figures: dict[str, list[float]] = json.loads(path.read_text())
    lines = []
    for stage, values in figures.items():
        ordered = sorted(values)
        mean = sum(ordered) / len(ordered)
        p50 = ordered[len(ordered) // 2]
        p99 = ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]
        scale, unit = (1.0, "") if stage == "encoder.batch" else (1000.0, " ms")
        lines.append(
            f"{stage:32} n={len(ordered):6}  mean {scale * mean:8.2f}{unit}  "
            f"p50 {scale * p50:8.2f}{unit}  p99 {scale * p99:8.2f}{unit}"
        )
    return lines


if __name__ == "__main__":
    if "BENCH_SWITCH_INTERVAL" in os.environ:  # a trial: see bench/README.md
        import sys

        sys.setswitchinterval(float(os.environ["BENCH_SWITCH_INTERVAL"]))
    if "BENCH_ENCODER_THREADS" in os.environ:  # a trial: see bench/README.md
        os.environ["SWITCHBOARD_ENCODER__THREADS"] = os.environ["BENCH_ENCODER_THREADS"]
    install(Path(os.environ["SWITCHBOARD_BENCH_STAGES"]))
    from bot.cli.main import main

    main()
