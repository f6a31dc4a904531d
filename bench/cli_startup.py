"""How long CLI commands that need no model take to start: the median wall time of
`switchboard --help` and `switchboard staff create`, next to `python -c pass` (the
interpreter's own start, the floor) measured in the same run.

    PYTHONPATH=. python bench/cli_startup.py [--runs 5]

Each run uses a fresh data dir with a migrated SQLite store, so `staff create` does the
real work (settings, open the store, hash and store a token).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _wall(argv: list[str], env: dict[str, str], cwd: str) -> float:
    started = time.perf_counter()
    subprocess.run(argv, env=env, cwd=cwd, check=True, capture_output=True)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs
    python = sys.executable
    with tempfile.TemporaryDirectory() as work:
        env = {**os.environ, "PYTHONPATH": str(ROOT), "SWITCHBOARD_DATA_DIR": f"{work}/var"}
        subprocess.run([python, "-m", "bot.cli", "db", "upgrade"], env=env, cwd=work, check=True)
        commands = {
            "python -c pass": lambda _: [python, "-c", "pass"],
            "switchboard --help": lambda _: [python, "-m", "bot.cli", "--help"],
            "switchboard staff create": lambda i: [
                *(python, "-m", "bot.cli", "staff", "create", "--name", "Bench Mark"),
                *("--email", f"bench{i}@example.com", "--role", "agent"),
            ],
        }
        medians = {
            name: statistics.median(_wall(argv(i), env, work) for i in range(runs))
            for name, argv in commands.items()
        }
    floor = medians["python -c pass"]
    for name, seconds in medians.items():
        print(f"{name:28} {seconds:6.2f} s   {seconds / floor:5.1f}x python -c pass")


if __name__ == "__main__":
    main()
