"""What an idle server costs: process CPU seconds per wall second, and PostgreSQL
transactions per second, of a real `switchboard serve` that nobody talks to, over a
minute; next to the same figures of a reference checkout (`--reference DIR`, e.g. main's
code: `git worktree add /tmp/idle-base <commit>`) and of a bare uvicorn hello-world
process, all measured in the same run.

Each server runs in production mode (as compose does) on a fresh store with the demo
seed (accounts, customers, orders, tickets, leads) and the demo NLU model and help
centre, first on a SQLite file, then on PostgreSQL (SWITCHBOARD_TEST_POSTGRES_URL; left
out without it). It is measured once it answers /healthz and a settling pause has
passed, so its start-up work is not counted. Ports 18100-18199.

    SWITCHBOARD_TEST_POSTGRES_URL=postgresql+psycopg://... \\
        python -m bench.idle_cost --reference /tmp/idle-base [--seconds 60]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bench.scale_out import prepare_data_dir, server_environment, tree_cpu_seconds
from knowledge.embeddings import SentenceEncoder
from tests.support.postgres import fresh_database
from tests.support.server_process import ServerProcess, end, wait_until_healthy

HERE = Path(__file__).resolve().parent.parent
SETTLE_SECONDS = 15.0
PORTS = iter(range(18100, 18200))
HELLO = """
import uvicorn

async def app(scope, receive, send):
    if scope["type"] == "http":
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"hello"})

uvicorn.run(app, host="127.0.0.1", port={port}, log_level="warning")
"""


def load_average() -> str:
    return ", ".join(f"{value:.2f}" for value in os.getloadavg())


def transactions(url: str | None) -> int:
    """Transactions committed and rolled back in `url`'s database so far (read from the
    server's maintenance database, so the reading is not counted)."""
    if url is None:
        return 0
    parsed = make_url(url)
    engine = create_engine(parsed.set(database="postgres"))
    try:
        with engine.connect() as connection:
            return int(
                connection.execute(
                    text(
                        "SELECT xact_commit + xact_rollback FROM pg_stat_database "
                        "WHERE datname = :name"
                    ),
                    {"name": parsed.database},
                ).scalar_one()
            )
    finally:
        engine.dispose()


def idle_figures(
    process: subprocess.Popen[bytes], url: str | None, seconds: float
) -> tuple[float, float | None]:
    """(CPU seconds per second, transactions per second or None) over `seconds`."""
    time.sleep(SETTLE_SECONDS)
    cpu, done, began = tree_cpu_seconds(process.pid), transactions(url), time.perf_counter()
    time.sleep(seconds)
    elapsed = time.perf_counter() - began
    cpu_rate = (tree_cpu_seconds(process.pid) - cpu) / elapsed
    if url is None:
        return cpu_rate, None
    # PostgreSQL backends report their counts at most once a second (idle ones later).
    time.sleep(2.0)
    return cpu_rate, (transactions(url) - done) / elapsed


def switchboard(tree: Path, url: str, data: Path, logs: Path, name: str) -> dict[str, str]:
    """A fresh store for `tree`'s code at `url`, migrated and seeded; the server's env."""
    env = server_environment(url, data)
    env["PYTHONPATH"] = str(tree)
    for command in (["db", "upgrade"], ["demo", "seed"]):
        subprocess.run(
            [sys.executable, "-m", "bot.cli", *command],
            cwd=tree,
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=(logs / f"{name}-{command[0]}.log").open("wb"),
        )
    return env


def measure_server(
    tree: Path, url: str, data: Path, logs: Path, name: str, seconds: float
) -> tuple[float, float | None]:
    env = switchboard(tree, url, data, logs, name)
    port = next(PORTS)
    stderr_path = logs / f"{name}.stderr"
    process = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
        cwd=tree,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=stderr_path.open("wb"),
    )
    try:
        server = ServerProcess(process, f"http://127.0.0.1:{port}", env, stderr_path)
        wait_until_healthy(server, timeout=300.0)
        postgres = url if url.startswith("postgresql") else None
        return idle_figures(process, postgres, seconds)
    finally:
        end(process)


def measure_hello(seconds: float) -> float:
    port = next(PORTS)
    process = subprocess.Popen(
        [sys.executable, "-c", HELLO.replace("{port}", str(port))],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        return idle_figures(process, None, seconds)[0]
    finally:
        end(process)


def line(label: str, figures: tuple[float, float | None]) -> str:
    cpu, xacts = figures
    shown = f"  {label}: {cpu * 1000:.2f} ms CPU per s"
    if xacts is not None:
        shown += f", {xacts:.2f} PostgreSQL transactions per s"
    return shown + f" (load average {load_average()})"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--reference", type=Path, help="a checkout to measure alongside")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="idle-cost-bench-"))
    logs = root / "logs"
    logs.mkdir()
    encoder = SentenceEncoder()
    data = prepare_data_dir(root, encoder)
    encoder.close()
    trees = [("this checkout", HERE)]
    if args.reference is not None:
        trees.insert(0, (f"reference {args.reference}", args.reference.resolve()))
    print(f"idle for {args.seconds:.0f} s after a {SETTLE_SECONDS:.0f} s settle, each:")
    print(line("bare uvicorn hello-world process", (measure_hello(args.seconds), None)))
    server = os.environ.get("SWITCHBOARD_TEST_POSTGRES_URL")
    for backend in ["SQLite", "PostgreSQL"] if server else ["SQLite"]:
        print(f"switchboard serve, one process, {backend}, demo seed:")
        for n, (label, tree) in enumerate(trees):
            name = f"{backend.lower()}-{n}"
            if backend == "SQLite":
                url = f"sqlite:///{root / (name + '.db')}"
                print(line(label, measure_server(tree, url, data, logs, name, args.seconds)))
                continue
            assert server is not None
            with fresh_database(server) as url:
                print(line(label, measure_server(tree, url, data, logs, name, args.seconds)))


if __name__ == "__main__":
    main()
