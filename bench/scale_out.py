"""Web chat turns per second with 1, 2 and 4 server processes on one PostgreSQL, next to
the sentence encoder's own batch throughput measured in the same run; the LISTEN/NOTIFY
wake-up latency between two processes; PostgreSQL transactions and connections per turn.

Each configuration is `switchboard serve --workers N` (uvicorn's processes on one port)
with the real NLU model and the demo help centre, production settings, rate limits off;
64 web chat sessions at once send 10 messages each through the REST API (each message
waits for its answer, as the widget does). The load comes from `--clients` (4) client
processes on the same machine, each with its share of the sessions (`CLIENT_PROCESSES`
says why not one), each session on a connection of its own (tests/support/webchat_load.py
says why).

    SWITCHBOARD_TEST_POSTGRES_URL=postgresql+psycopg://... python bench/scale_out.py
    [--processes 1,2,4] [--sessions 64] [--messages 10] [--clients 4] [--profile] [--sqlite]
    [--pause SECONDS]

`--pause 10`: each customer takes 10 s on average (5 to 15) to read an answer and type
the next message, as customers in a widget do, instead of sending the next message the
moment the answer arrives (the closed loop by default, which measures throughput: there
every turn waits for the other sessions' turns, so the p99 is about sessions / turns per
second). With a pause, the figure is how many customers at once one deployment serves
at a given latency.

`--sqlite` also runs one process on a SQLite file after the PostgreSQL runs (one
process only: processes on one SQLite file cannot wake each other). Each figure is
printed with the machine's load average at the time, since the machine may be shared.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bench.turn_stages import summary as stage_summary
from crm_store import upgrade
from demo.help_centre import ensure_demo_knowledge
from knowledge import KnowledgeBase
from knowledge.embeddings import SentenceEncoder
from nlu import ensure_demo_model
from tests.support.ports import free_port
from tests.support.postgres import fresh_database
from tests.support.server_process import end, server_env
from tests.support.webchat_load import percentile, run_load

ENCODER_BATCH = 32
PY_SPY = str(Path(sys.executable).parent / "py-spy")  # pip install py-spy
SENTENCES = [
    f"where is my order number {n}? it should have arrived by now" for n in range(ENCODER_BATCH)
]
_LISTENER = """
import asyncio, sys, time
from sqlalchemy.engine import make_url
from crm_store.wakeups import PostgresWakeups

async def main():
    wakeups = PostgresWakeups(make_url(sys.argv[1]))
    heard = {}
    wakeups.on("bench", lambda key: heard.setdefault(key, time.time()))
    task = asyncio.create_task(wakeups.run())
    await wakeups.connected.wait()
    print("ready", flush=True)
    count = int(sys.argv[2])
    while len(heard) < count:
        await asyncio.sleep(0.05)
    for key, at in heard.items():
        print(key, at, flush=True)
    await wakeups.stop()
    await task

asyncio.run(main())
"""


def encoder_batch_throughput(encoder: SentenceEncoder, seconds: float = 5.0) -> float:
    """Sentences per second, encoding batches of 32 back to back in this process."""
    encoder.encode(SENTENCES)  # warm
    done, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        encoder.encode(SENTENCES)
        done += ENCODER_BATCH
    return done / (time.perf_counter() - started)


def prepare_data_dir(root: Path, encoder: SentenceEncoder) -> Path:
    data = root / "data"
    knowledge = KnowledgeBase.open(data / "knowledge", encoder)
    ensure_demo_knowledge(knowledge)
    knowledge.close()
    ensure_demo_model(data / "nlu-model", encoder)
    return data


def server_environment(url: str, data: Path) -> dict[str, str]:
    env = server_env(url, data)
    env.update(
        SWITCHBOARD_RATE_LIMITS__ENABLED="false",
        SWITCHBOARD_LOG__LEVEL="WARNING",
        PYTHONPATH=str(Path(__file__).resolve().parent.parent),
    )
    return env


def start(
    env: dict[str, str], processes: int, logs: Path, stages: Path | None = None
) -> tuple[subprocess.Popen[bytes], str]:
    """`stages`: time the turn's stages in the (one) process (bench/turn_stages.py)."""
    port = free_port()
    module = "bench.turn_stages" if stages is not None else "bot.cli"
    if stages is not None:
        env = {**env, "SWITCHBOARD_BENCH_STAGES": str(stages)}
    command = [sys.executable, "-m", module, "serve", "--port", str(port)]
    if processes > 1:
        command += ["--workers", str(processes)]
    process = subprocess.Popen(
        command,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=(logs / f"serve-{processes}.log").open("wb"),
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 600
    healthy = 0
    while healthy < 5 * processes:  # every process up: several answers in a row
        if process.poll() is not None or time.monotonic() > deadline:
            raise SystemExit((logs / f"serve-{processes}.log").read_text()[-3000:])
        try:
            ok = httpx.get(base + "/healthz", timeout=5).status_code == 200
        except httpx.TransportError:
            ok = False
        healthy = healthy + 1 if ok else 0
        time.sleep(0.2 if ok else 1.0)
    time.sleep(5 * processes)  # the processes load their models at different times
    return process, base


def database_counters(url: str) -> tuple[int, int]:
    """(transactions committed, connections) of the bench database so far."""
    engine = create_engine(url)
    name = make_url(url).database
    with engine.connect() as connection:
        commits = connection.execute(
            text("SELECT xact_commit FROM pg_stat_database WHERE datname = :d"), {"d": name}
        ).scalar_one()
        connections = connection.execute(
            text("SELECT count(*) FROM pg_stat_activity WHERE datname = :d"), {"d": name}
        ).scalar_one()
    engine.dispose()
    return int(commits), int(connections) - 1  # not this one


_TICK = os.sysconf("SC_CLK_TCK")


def _process_seconds(pid: int, *, reaped: bool = False) -> float:
    """CPU seconds of `pid` (with `reaped`, also of its children that ended)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    ticks = int(fields[11]) + int(fields[12])  # utime, stime
    if reaped:
        ticks += int(fields[13]) + int(fields[14])  # cutime, cstime
    return ticks / _TICK


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(stat.parent.name))
        except (OSError, ValueError, IndexError):
            continue
    return found


def tree_cpu_seconds(pid: int) -> float:
    """CPU seconds of `pid`, its live children and the children it reaped."""
    return _process_seconds(pid, reaped=True) + sum(
        _process_seconds(child) for child in _children(pid)
    )


def _machine_busy_seconds() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot, all cores."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]  # idle, iowait
    return (sum(values[:8]) - idle) / _TICK, sum(values[:8]) / _TICK


def postmaster_pid(url: str) -> int | None:
    """The PostgreSQL server's main process, when it runs on this machine."""
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            folder = connection.execute(text("SHOW data_directory")).scalar_one()
        return int((Path(folder) / "postmaster.pid").read_text().split()[0])
    except (OSError, ValueError, Exception):
        return None
    finally:
        engine.dispose()


class CpuShares:
    """Cores used during the load: the machine, the server processes, this process
    (the load client), PostgreSQL (its server and every backend)."""

    def __init__(self, server_pid: int, postgres_pid: int | None) -> None:
        self._server, self._postgres = server_pid, postgres_pid
        self._start = self._read()

    def _read(self) -> tuple[float, ...]:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        clients = resource.getrusage(resource.RUSAGE_CHILDREN)  # the load's, once waited for
        busy, _ = _machine_busy_seconds()
        return (
            time.perf_counter(),
            busy,
            tree_cpu_seconds(self._server),
            usage.ru_utime + usage.ru_stime + clients.ru_utime + clients.ru_stime,
            tree_cpu_seconds(self._postgres) if self._postgres else 0.0,
        )

    def report(self, turns: int) -> str:
        """Cores used during the load, and each part's CPU milliseconds per turn: what
        bounds the turns per second of this machine, whatever waits are removed."""
        end = self._read()
        elapsed = end[0] - self._start[0]
        machine, server, client, postgres = (
            (end[n] - self._start[n]) / elapsed for n in range(1, 5)
        )
        cores = len(os.sched_getaffinity(0))
        per_turn = 1000 * elapsed / max(turns, 1)
        return (
            f"CPU during the load, in cores of {cores}: machine {machine:.2f}, "
            f"server {server:.2f}, load client {client:.2f}, PostgreSQL {postgres:.2f}, "
            f"everything else {machine - server - client - postgres:.2f}; per turn: "
            f"server {server * per_turn:.1f} ms, load client {client * per_turn:.1f} ms, "
            f"PostgreSQL {postgres * per_turn:.1f} ms"
        )


# The load runs in this many client processes, each with its share of the sessions. One
# asyncio + httpx process driving all 64 sessions was itself the tail: against the same
# one-process SQLite server, twice each, p99 2,862 and 3,306 ms from one client process
# against 637 and 1,016 ms from four (p50 361 and 357 against 586 and 577: the server
# served every request in turn; the lone client did not read them in turn), 91 and 90
# turns per second against 103 and 98.
CLIENT_PROCESSES = 4
_CLIENT = """
import asyncio, json, sys, time
from tests.support.webchat_load import run_load

async def main(base, sessions, messages, prefix, pause):
    lags = []

    async def sample():
        while True:
            began = time.perf_counter()
            await asyncio.sleep(0.01)
            lags.append(time.perf_counter() - began - 0.01)

    sampler = asyncio.create_task(sample())
    try:
        logs = await run_load(base, sessions, messages, prefix=prefix, pause=pause)
    finally:
        sampler.cancel()
    latencies = [value for log in logs for value in log.latencies]
    firsts = [log.latencies[0] for log in logs if log.latencies]
    retries = sum(log.retries for log in logs)
    print(json.dumps({"latencies": latencies, "retries": retries, "lags": lags, "firsts": firsts}))

asyncio.run(main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], float(sys.argv[5])))
"""


def client_load(
    base: str,
    sessions: int,
    messages: int,
    processes: int = CLIENT_PROCESSES,
    pause: float = 0.0,
) -> tuple[list[float], int, list[float], list[float]]:
    """The load from `processes` client processes started together (sessions shared out
    between them): every reply's latency, the client retries, and how late the clients'
    event loops ran a 10 ms sleep meanwhile (a reply waits that long to be read, and the
    client counts it as latency), and the latencies of each session's first message
    (which also makes the customer and the conversation)."""
    prefix = f"b{time.time_ns()}-"
    shares = [sessions // processes + (n < sessions % processes) for n in range(processes)]
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    running = [
        subprocess.Popen(
            [
                sys.executable,
                "-c",
                _CLIENT,
                base,
                str(share),
                str(messages),
                f"{prefix}{n}-",
                str(pause),
            ],
            stdout=subprocess.PIPE,
            env=env,
        )
        for n, share in enumerate(shares)
        if share
    ]
    latencies: list[float] = []
    firsts: list[float] = []
    lags: list[float] = []
    retries = 0
    for client in running:
        out, _ = client.communicate()
        if client.returncode != 0:
            raise SystemExit(f"a load client failed ({client.returncode})")
        found = json.loads(out)
        latencies += found["latencies"]
        lags += found["lags"]
        firsts += found["firsts"]
        retries += found["retries"]
    return latencies, retries, lags or [0.0], firsts or [0.0]


def measure(
    url: str,
    base: str,
    sessions: int,
    messages: int,
    server_pid: int,
    postmaster: int | None,
    clients: int = CLIENT_PROCESSES,
    pause: float = 0.0,
) -> dict[str, Any]:
    """The load's figures; transactions and connections only on PostgreSQL (-1 on SQLite)."""
    postgres = make_url(url).get_backend_name() == "postgresql"
    asyncio.run(run_load(base, 4, 2, prefix="warm"))  # every process answers once or so
    time.sleep(2)  # stats are flushed by PostgreSQL about every second
    commits_before = database_counters(url)[0] if postgres else 0
    cpu = CpuShares(server_pid, postmaster)
    started = time.perf_counter()
    latencies, retries, lags, firsts = client_load(base, sessions, messages, clients, pause)
    elapsed = time.perf_counter() - started
    shares = cpu.report(len(latencies))
    load = os.getloadavg()
    connections, commits_after = -1, -1
    if postgres:
        _, connections = database_counters(url)
        time.sleep(2)
        commits_after, _ = database_counters(url)
    turns = len(latencies)
    return {
        "turns": turns,
        "turns_per_s": turns / elapsed,
        "p50_ms": 1000 * percentile(latencies, 0.50),
        "p99_ms": 1000 * percentile(latencies, 0.99),
        "retries": retries,
        "first_messages": (
            f"first messages p50 {1000 * percentile(firsts, 0.50):.0f} ms, "
            f"p99 {1000 * percentile(firsts, 0.99):.0f} ms"
        ),
        "transactions_per_turn": (commits_after - commits_before) / turns if postgres else -1,
        "connections": connections,
        "load": load,
        "cpu": shares,
        "client_lag": (
            f"load clients' event loops late by p50 {1000 * percentile(lags, 0.50):.1f} ms, "
            f"p99 {1000 * percentile(lags, 0.99):.1f} ms, max {1000 * max(lags):.0f} ms"
        ),
    }


def profile_summary(raw: Path, top: int = 14) -> list[str]:
    """The functions of ours (and the driver's) most often on the stack, as a share of
    all samples: py-spy's raw (collapsed) output, one stack and its count a line."""
    total = 0
    inclusive: dict[str, int] = {}
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        total += int(count)
        seen = set()
        for frame in stack.split(";"):
            name = frame.split(" (", 1)[0]
            where = frame.split(" (", 1)[1] if " (" in frame else ""
            ours = any(part in where for part in ("bot/", "crm_store/", "knowledge/", "nlu/"))
            if (ours or "psycopg" in where or "sqlalchemy/orm/session" in where) and (
                name not in seen
            ):
                seen.add(name)
                inclusive[name] = inclusive.get(name, 0) + int(count)
    ranked = sorted(inclusive.items(), key=lambda item: -item[1])[:top]
    return [f"{100 * n / max(total, 1):5.1f}%  {name}" for name, n in ranked] + [encoder_busy(raw)]


def encoder_busy(raw: Path) -> str:
    """How much of the time the encoder's thread spends encoding (not waiting for
    texts): near 100%, the process's turns per second are what its encoder allows."""
    on_thread = encoding = 0
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if count.isdigit() and "sentence-encoder" in stack.split(";", 1)[0]:
            on_thread += int(count)
            encoding += int(count) if "SentenceEncoder.encode " in stack else 0
    share = 100 * encoding / max(on_thread, 1)
    return f"the encoder's thread was encoding in {share:.0f}% of its samples"


def wakeup_latency(url: str, count: int = 200) -> tuple[float, float]:
    """p50 and p99 (ms) from announce in this process to the subscriber in another."""
    from crm_store.wakeups import PostgresWakeups

    listener = subprocess.Popen(
        [sys.executable, "-c", _LISTENER, url, str(count)],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)},
    )
    assert listener.stdout is not None
    assert listener.stdout.readline().strip() == "ready"

    async def announce() -> dict[str, float]:
        wakeups = PostgresWakeups(make_url(url))
        task = asyncio.create_task(wakeups.run())
        await wakeups.connected.wait()
        await asyncio.sleep(0.5)
        sent = {}
        for n in range(count):
            sent[str(n)] = time.time()
            wakeups.announce("bench", str(n))
            await asyncio.sleep(0.02)
        await wakeups.stop()
        await task
        return sent

    sent = asyncio.run(announce())
    heard = {}
    for line in listener.stdout:
        key, at = line.split()
        heard[key] = float(at)
    listener.wait()
    delays = [1000 * (heard[key] - sent[key]) for key in sent]
    return percentile(delays, 0.50), percentile(delays, 0.99)


def run_configuration(
    url: str,
    env: dict[str, str],
    processes: int,
    label: str,
    args: argparse.Namespace,
    root: Path,
    limit: float,
    postgres: int | None,
) -> None:
    """Start `processes` servers on `url`, put the load on them, print the figures."""
    stages = root / f"stages-{label}.json" if args.stages and processes == 1 else None
    process, base = start(env, processes, root, stages)
    spy = None
    profile = root / f"profile-{label}.txt"
    if args.profile and processes == 1:
        spy = subprocess.Popen(
            [PY_SPY, "record", "--pid", str(process.pid), "--duration", "25",
             "--format", "raw", "--output", str(profile), "--nonblocking",
             "--threads", "--idle"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
    try:
        found = measure(
            url,
            base,
            args.sessions,
            args.messages,
            process.pid,
            postgres,
            args.clients,
            args.pause,
        )
    finally:
        if spy is not None:
            spy.wait()
        end(process)
    if spy is not None:
        print(f"sampling profile, 1 process on {label} under the load (share of samples on stack):")
        for line in profile_summary(profile):
            print("   ", line)
    if stages is not None:
        print(f"a turn's stages, 1 process on {label} (bench/turn_stages.py):")
        for line in stage_summary(stages):
            print("   ", line)
    print("   ", found["cpu"])
    print("   ", found["client_lag"])
    print("   ", found["first_messages"])
    store = (
        f"{found['transactions_per_turn']:.1f} transactions/turn, "
        f"{found['connections']} connections, "
        if found["connections"] >= 0
        else ""
    )
    load = ", ".join(f"{value:.1f}" for value in found["load"])
    paced = f" (each after a pause of {args.pause:g} s on average)" if args.pause else ""
    print(
        f"{label}, {processes} process(es), {args.sessions} clients x {args.messages} messages"
        f"{paced} from {args.clients} client processes: "
        f"{found['turns_per_s']:.1f} turns/s ({100 * found['turns_per_s'] / limit:.0f}% "
        f"of the encoder's batch limit), p50 {found['p50_ms']:.0f} ms, "
        f"p99 {found['p99_ms']:.0f} ms, {store}{found['retries']} client retries "
        f"(load average {load})"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--processes", default="1,2,4")
    parser.add_argument("--sessions", type=int, default=64)
    parser.add_argument("--messages", type=int, default=10)
    parser.add_argument(
        "--clients", type=int, default=CLIENT_PROCESSES, help="load client processes"
    )
    parser.add_argument(
        "--pause",
        type=float,
        default=0.0,
        help="mean seconds a customer takes before each message (0: at once, a closed loop)",
    )
    parser.add_argument("--profile", action="store_true", help="py-spy each 1-process run")
    parser.add_argument("--sqlite", action="store_true", help="also 1 process on SQLite")
    parser.add_argument("--stages", action="store_true", help="time a turn's stages (1 process)")
    args = parser.parse_args()
    server = os.environ.get("SWITCHBOARD_TEST_POSTGRES_URL")
    if not server:
        raise SystemExit("set SWITCHBOARD_TEST_POSTGRES_URL to a PostgreSQL server")
    root = Path(tempfile.mkdtemp(prefix="scale-out-bench-"))
    encoder = SentenceEncoder()
    data = prepare_data_dir(root, encoder)
    limit = encoder_batch_throughput(encoder)
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    print(
        f"encoder alone, batches of {ENCODER_BATCH}, one process: {limit:.0f} sentences/s "
        f"(load average {load})"
    )
    with fresh_database(server) as url:
        upgrade(url)
        p50, p99 = wakeup_latency(url)
        print(f"LISTEN/NOTIFY wake-up between two processes: p50 {p50:.2f} ms, p99 {p99:.2f} ms")
        env = server_environment(url, data)
        postgres = postmaster_pid(url)
        for processes in [int(n) for n in args.processes.split(",") if n]:
            run_configuration(url, env, processes, "PostgreSQL", args, root, limit, postgres)
    if args.sqlite:
        url = f"sqlite:///{root / 'bench.db'}"
        upgrade(url)
        sqlite_env = server_environment(url, data)
        run_configuration(url, sqlite_env, 1, "SQLite", args, root, limit, None)
    encoder.close()


if __name__ == "__main__":
    main()
