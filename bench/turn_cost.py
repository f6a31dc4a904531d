"""What one web chat turn costs in CPU in one server process, stage by stage.

Issue 16 measured about 38 ms of the server's CPU per turn under load, and CPU per turn,
not a wait, is what limits one process. This script finds where those milliseconds go:
one process, the real app (`create_app` with production settings, the real NLU model
and the demo help centre, its background workers running), N sequential web chat turns
through the REST API (`POST /api/v1/webchat/messages` over httpx's ASGI transport, the
route a widget and `bench/scale_out.py`'s clients use). Turns are sequential so that the
process's CPU clock (`time.process_time`, every thread, ONNX's own threads included)
read before and after a stage is that stage's cost, wherever its threads run.

    .venv/bin/python bench/turn_cost.py [--turns N] [--sqlite] [--postgres]

(PostgreSQL needs SWITCHBOARD_TEST_POSTGRES_URL; a fresh database is made and dropped.)
Stages, timed from outside (the server's code carries no instrumentation):
    HTTP route         the request less the engine: auth (token, revocation), JSON
    intake             the intake transaction, thread hand-over included
    NLU                spelling, language, the encoder, the classifier (each below it)
    dialogue           routing, knowledge search (below it), actions
    answer             the answer transaction (the reply recorded sent: web chat
                       replies skip the outbox worker)
    after the answer   waking the widget's sockets, the handoff desk, the result
Then cProfile over the same kind of turns (a second app, every thread profiled by its
own CPU clock, the stage timers taken off), top functions by cumulative and by own time;
the main thread's share includes the client's side of each request (httpx). The
references, same run: one encode of the same message by the encoder alone, and one
write transaction of a `SELECT 1` on the same database (its thread's CPU).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import os
import pstats
import statistics
import sys
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

# bench/analytics.py would shadow the analytics package when run as a file.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx
from sqlalchemy import text

from bench.scale_out import prepare_data_dir, server_environment
from bench.turn_stages import timed_async, timed_messages_route, timed_sync
from crm_store import upgrade
from knowledge.embeddings import SentenceEncoder
from tests.support.postgres import fresh_database

MESSAGES_PER_SESSION = 10
# The load client's wording (tests/support/webchat_load.py), then a few of the help
# centre's questions, so the knowledge search and the actions both run. Each text is
# new (session and number in it), as a customer's is: a repeated one would be served by
# the encoder's cache of recent sentences (knowledge/recent_vectors.py).
TEXTS = [
    "where is my order? ({name}, message {n})",
    "how long do refunds take? ({name}, message {n})",
    "can I return sale items? ({name}, message {n})",
    "do you ship to Canada? ({name}, message {n})",
    "how do I reset my password? ({name}, message {n})",
]

_CPU: dict[str, list[float]] = defaultdict(list)
_GUARD = threading.Lock()
_ON = threading.Event()  # stages are noted only while the turns are timed


def _note(stage: str, seconds: float) -> None:
    if _ON.is_set():
        with _GUARD:
            _CPU[stage].append(seconds)


def _cpu_sync(stage: str, function: Callable[..., Any]) -> Callable[..., Any]:
    return timed_sync(stage, function, time.process_time, _note)


def _cpu_async(stage: str, function: Callable[..., Any]) -> Callable[..., Any]:
    return timed_async(stage, function, time.process_time, _note)


def _thread_cpu(stage: str, function: Callable[..., Any]) -> Callable[..., Any]:
    """The calling thread's own CPU only (a transaction's work, apart from the hand-over
    to its thread and the event loop's share)."""
    return timed_sync(stage, function, time.thread_time, _note)


# Stages in the order printed, each inside the one above it with more indent.
_ORDER = (
    "request (POST messages)",
    "engine (intake to result)",
    "  intake transaction",
    "    its statements (thread CPU)",
    "  NLU",
    "    spelling",
    "    language",
    "    encoder (its thread)",
    "    classifier",
    "  dialogue",
    "    knowledge search",
    "  answer transaction",
    "    its statements (thread CPU) ",
    "  a transaction, BEGIN to COMMIT (thread CPU)",
)


_INSTALLED: list[tuple[type, str, Any]] = []  # (class, name, its own function)


def install() -> None:
    """Wrap the stages' functions (classes, so every app built after sees them); once."""
    uninstall()
    import knowledge.base as knowledge_base
    from bot.conversation.engine import ConversationEngine as Engine
    from bot.conversation.understanding import NluUnderstander
    from crm_store.database import Database
    from nlu.model import NluModel
    from nlu.spelling import SpellingCorrector

    write_async = Database.write_async

    async def answer_or_other(self: Database, work: Callable[[Any], Any]) -> Any:
        # the engine's answer: its lambda in `_turn` (`receive` before the turn queue)
        if "_turn" not in getattr(work, "__qualname__", ""):
            return await write_async(self, work)
        began = time.process_time()
        try:
            return await write_async(self, work)
        finally:
            _note("  answer transaction", time.process_time() - began)

    wrappers: list[tuple[type, str, Callable[..., Any]]] = [
        (Engine, "receive", _cpu_async("engine (intake to result)", Engine.receive)),
        (Engine, "_intake", _cpu_async("  intake transaction", Engine._intake)),
        (
            Engine,
            "_intake_once",
            _thread_cpu("    its statements (thread CPU)", Engine._intake_once),
        ),
        (Engine, "_understand", _cpu_async("  NLU", Engine._understand)),
        (Engine, "_respond", _cpu_async("  dialogue", Engine._respond)),
        (SpellingCorrector, "correct", _cpu_sync("    spelling", SpellingCorrector.correct)),
        (NluUnderstander, "_language", _cpu_sync("    language", NluUnderstander._language)),
        (SentenceEncoder, "encode", _cpu_sync("    encoder (its thread)", SentenceEncoder.encode)),
        (NluModel, "_result", _cpu_sync("    classifier", NluModel._result)),  # type: ignore[attr-defined]
        (
            knowledge_base.KnowledgeBase,
            "search_vector",
            _cpu_sync("    knowledge search", knowledge_base.KnowledgeBase.search_vector),
        ),
        (Engine, "_answer", _thread_cpu("    its statements (thread CPU) ", Engine._answer)),
        (
            Database,
            "_write_now",
            _thread_cpu("  a transaction, BEGIN to COMMIT (thread CPU)", Database._write_now),
        ),
        (Database, "write_async", answer_or_other),
    ]
    for owner, name, wrapper in wrappers:
        _INSTALLED.append((owner, name, owner.__dict__[name]))
        setattr(owner, name, wrapper)


def uninstall() -> None:
    """The stages' own functions back (the profile's turns run without the timers)."""
    while _INSTALLED:
        owner, name, function = _INSTALLED.pop()
        setattr(owner, name, function)


def _timed_app(app: Any) -> Any:
    return timed_messages_route(app, "request (POST messages)", time.process_time, _note)


def _build(data: Path, database_url: str) -> Any:
    from bot.app import create_app
    from bot.settings import Settings

    os.environ.update(server_environment(database_url, data))
    return create_app(Settings())


async def _turns(app: Any, sessions: int, label: str) -> tuple[int, float, float]:
    """`sessions` x MESSAGES_PER_SESSION turns; (turns, wall s, process CPU s)."""
    transport = httpx.ASGITransport(app=_timed_app(app))
    turns, wall, cpu = 0, 0.0, 0.0
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
        for s in range(sessions):
            started = await client.post("/api/v1/webchat/sessions", json={})
            assert started.status_code == 201 or started.status_code == 200, started.text
            auth = {"Authorization": f"Bearer {started.json()['token']}"}
            for n in range(MESSAGES_PER_SESSION):
                body = {
                    "client_message_id": f"{label}-{s}-{n}",
                    "text": TEXTS[n % len(TEXTS)].format(name=f"{label}{s}", n=n),
                }
                began_wall, began_cpu = time.perf_counter(), time.process_time()
                answer = await client.post("/api/v1/webchat/messages", json=body, headers=auth)
                wall += time.perf_counter() - began_wall
                cpu += time.process_time() - began_cpu
                assert answer.status_code == 200, answer.text
                assert answer.json()["replies"], answer.text
                turns += 1
    return turns, wall, cpu


async def _idle_cpu(seconds: float) -> float:
    """The process's CPU per second with no turns: the background workers' polls."""
    began_cpu, began = time.process_time(), time.perf_counter()
    await asyncio.sleep(seconds)
    return (time.process_time() - began_cpu) / (time.perf_counter() - began)


def _median_ms(values: list[float]) -> float:
    return 1000 * statistics.median(values)


def _references(app: Any, rounds: int = 200) -> tuple[float, float]:
    """(one encode of a turn's message by the encoder alone, one empty write
    transaction), median process CPU ms, on this app's encoder and database."""
    services = app.state.services
    encoder: SentenceEncoder = services.encoder
    database = services.database
    message = TEXTS[0].format(name="ref", n=0)
    encodes, empties = [], []
    for n in range(rounds):
        began = time.process_time()  # ONNX Runtime's own threads count
        encoder.encode([f"{message} {n}"])  # a new text each time: no cache stands in
        encodes.append(time.process_time() - began)
    for _ in range(rounds):  # in this thread (SQLite's `write` hands it to the writer's)
        began = time.thread_time()
        with database.transaction() as session:
            session.execute(text("SELECT 1"))
        empties.append(time.thread_time() - began)
    return _median_ms(encodes), _median_ms(empties)


async def _measure(app: Any, sessions: int) -> dict[str, Any]:
    async with app.router.lifespan_context(app):
        await _turns(app, 1, "warm")  # first turns load models and fill caches
        idle = await _idle_cpu(3.0)
        _ON.set()
        turns, wall, cpu = await _turns(app, sessions, "timed")
        _ON.clear()
        encode_ms, empty_ms = await asyncio.to_thread(_references, app)
    return {
        "turns": turns,
        "wall": wall,
        "cpu": cpu,
        "idle": idle,
        "encode": encode_ms,
        "empty": empty_ms,
    }


class _Snapshot:
    """A thread's profile read without disabling it there (pstats.Stats would call
    `create_stats`, which disables the profiler of the calling thread only)."""

    def __init__(self, profile: cProfile.Profile) -> None:
        profile.snapshot_stats()
        self.stats = profile.stats  # type: ignore[attr-defined]

    def create_stats(self) -> None:
        pass


@contextmanager
def _every_thread_profiled() -> Iterator[list[cProfile.Profile]]:
    """cProfile in this thread and in every thread started meanwhile (each thread has
    its own profiler; threads started before are not seen, hence a second app)."""
    profiles: list[cProfile.Profile] = []

    def start_here(*_: Any) -> None:
        profile = cProfile.Profile(time.thread_time)
        profiles.append(profile)
        profile.enable()  # replaces this hook in this thread

    threading.setprofile(start_here)
    try:
        yield profiles
    finally:
        threading.setprofile(None)  # type: ignore[arg-type]


def _profile(data: Path, database_url: str, sessions: int, keep: Path | None = None) -> list[str]:
    """Each thread's own CPU (`thread_time`), so a thread waiting costs nothing."""
    with _every_thread_profiled() as profiles:
        app = _build(data, database_url)
        main = cProfile.Profile(time.thread_time)
        profiles.append(main)

        async def run() -> int:
            async with app.router.lifespan_context(app):
                await _turns(app, 1, "pwarm")
                main.enable()
                try:
                    return (await _turns(app, sessions, "profiled"))[0]
                finally:
                    main.disable()

        turns = asyncio.run(run())
    stats = pstats.Stats(*[_Snapshot(p) for p in profiles])  # type: ignore[arg-type]
    if keep is not None:  # for pstats' callers and callees, read afterwards
        stats.dump_stats(keep)
    lines = []
    for key, title in (("cumulative", "cumulative"), ("tottime", "own time")):
        out = io.StringIO()
        stats.stream = out  # type: ignore[attr-defined]
        stats.sort_stats(key).print_stats(25)
        body = out.getvalue().splitlines()
        start = next(i for i, line in enumerate(body) if "ncalls" in line)
        lines.append(
            f"cProfile, each thread's CPU, {turns} turns (other threads' work from the app's "
            f"build on), by {title}:"
        )
        lines += ["  " + line for line in body[start:] if line.strip()]
    return lines


def run(
    label: str,
    data: Path,
    database_url: str,
    sessions: int,
    profile: bool,
    keep: Path | None = None,
) -> None:
    upgrade(database_url)
    _CPU.clear()
    app = _build(data, database_url)
    found = asyncio.run(_measure(app, sessions))
    turns = found["turns"]
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    per_turn = 1000 * found["cpu"] / turns
    print(
        f"{label}: {turns} sequential turns, {per_turn:.1f} ms process CPU a turn "
        f"({1000 * found['wall'] / turns:.1f} ms wall; {1 / (found['cpu'] / turns):.0f} turns "
        f"per CPU-second); background workers idle: {1000 * found['idle']:.1f} ms CPU/s "
        f"(load average {load})"
    )
    print(f"  {'stage':44} {'mean ms CPU/turn':>16} {'median ms':>10} {'calls/turn':>10}")
    for stage in [*_ORDER, *(stage for stage in _CPU if stage not in _ORDER)]:
        values = _CPU.get(stage) or [0.0]
        print(
            f"  {stage:44} {1000 * sum(values) / turns:16.2f} {_median_ms(values):10.2f} "
            f"{len(values) / turns:10.2f}"
        )
    request = sum(_CPU["request (POST messages)"]) / turns
    engine = sum(_CPU["engine (intake to result)"]) / turns
    inner = sum(
        sum(_CPU[s])
        for s in ("  intake transaction", "  NLU", "  dialogue", "  answer transaction")
    )
    print(f"  {'HTTP route (request - engine)':44} {1000 * (request - engine):16.2f}")
    print(f"  {'after the answer (engine - stages)':44} {1000 * (engine - inner / turns):16.2f}")
    print(
        f"  reference: one encode of the message by the encoder alone {found['encode']:.2f} ms "
        f"CPU (turn / encode {per_turn / found['encode']:.1f}); one write transaction of a "
        f"SELECT 1 {found['empty']:.2f} ms of its thread's CPU"
    )
    if profile:
        uninstall()
        kept = keep.with_name(f"{keep.stem}-{label.lower()}{keep.suffix}") if keep else None
        for line in _profile(data, database_url, max(2, sessions // 2), kept):
            print(line)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--turns", type=int, default=200, help="rounded to sessions of 10")
    parser.add_argument("--sqlite", action="store_true")
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--no-profile", action="store_true")
    parser.add_argument(
        "--keep-profile",
        type=Path,
        help="also write the cProfile statistics here (one file per database: NAME-sqlite.prof)",
    )
    args = parser.parse_args()
    both = not args.sqlite and not args.postgres
    sessions = max(1, args.turns // MESSAGES_PER_SESSION)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    root = Path(tempfile.mkdtemp(prefix="turn-cost-bench-"))
    encoder = SentenceEncoder()
    data = prepare_data_dir(root, encoder)
    encoder.close()
    if args.sqlite or both:
        install()
        run(
            "SQLite",
            data,
            f"sqlite:///{root / 'bench.db'}",
            sessions,
            not args.no_profile,
            args.keep_profile,
        )
    if args.postgres or both:
        server = os.environ.get("SWITCHBOARD_TEST_POSTGRES_URL")
        if not server:
            raise SystemExit("set SWITCHBOARD_TEST_POSTGRES_URL for the PostgreSQL run")
        install()
        with fresh_database(server) as url:
            run("PostgreSQL", data, url, sessions, not args.no_profile, args.keep_profile)


if __name__ == "__main__":
    main()
