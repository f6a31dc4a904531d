"""The dialogue evaluation of issue 14: realistic customer messages and short
conversations (demo/dialogue_eval/) put to a REAL `switchboard serve` process through
the web chat API, as a visitor would, and judged on what the bot stored.

The server runs on a temporary SQLite store seeded with `switchboard demo seed`; in
development mode it ingests the demo help centre at start, as `make run` does. Each
single message gets a chat session of its own, each conversation one session; verified
demo customers come with an identity the script signs with the identity secret it gave
the server (as the demo page does). The route of each reply (`attributes["route"]`) and
its sources are read straight from the server's database with crm_store (the widget's
API does not expose them; agents' tools read the same record). Replies without a route
(the router before issue 14) are read by the legacy reader, and the script says how
many.

    .venv/bin/python bench/dialogue_eval.py [--split dev|test|holdout|blind|all] [--only CLASS]
        [--failures] [--components] [--encoder onnx|onnx-int8|torch] [--port N] [--messages FILE]

`--components` also runs bench/kb_stackfaq.py and bench/nlu_banking77.py (as
subprocesses) and prints StackFAQ recall@1 and BANKING77 closed-set accuracy against
their goals, so the router's gains are not paid for by the parts. `--encoder` chooses the
sentence encoder's backend for the server and those two benches (default: the server's
own default).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from crm_store import Database
from demo.dialogue_eval.cases import CLASSES, load_singles
from demo.dialogue_eval.data_set import (
    DataSet,
    help_centre_articles,
    load_data_set,
    load_issue_examples,
)
from demo.dialogue_eval.driver import CaseResult, EvaluationDriver, StoredReplies
from demo.dialogue_eval.report import (
    Figures,
    by_rule,
    failure_lines,
    figures_table,
    worst_articles,
)

ROOT = Path(__file__).resolve().parent.parent
START_TIMEOUT_SECONDS = 600.0  # a first start trains the NLU model and ingests the KB
GOAL_STACKFAQ_RECALL_AT_1 = 0.96
GOAL_BANKING77_ACCURACY = 0.94


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def server_env(data_dir: Path, identity_secret: str, encoder: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SWITCHBOARD_")}
    env.update(
        SWITCHBOARD_DATA_DIR=str(data_dir),
        SWITCHBOARD_ENVIRONMENT="development",  # ingests the demo help centre, as make run
        SWITCHBOARD_DEMO__ENABLED="true",
        SWITCHBOARD_WEBCHAT__IDENTITY_SECRET=identity_secret,
        # Hundreds of sessions from one address in minutes: the limits would refuse them.
        SWITCHBOARD_RATE_LIMITS__ENABLED="false",
        SWITCHBOARD_LOG__FORMAT="text",
        HF_HUB_OFFLINE="1",
        PYTHONPATH=str(ROOT),
    )
    if encoder is not None:
        env["SWITCHBOARD_ENCODER__BACKEND"] = encoder
    return env


@contextmanager
def running_server(
    data_dir: Path, identity_secret: str, encoder: str | None, port: int | None
) -> Iterator[str]:
    """`switchboard demo seed`, then `switchboard serve` until the block ends."""
    env = server_env(data_dir, identity_secret, encoder)
    cli = [sys.executable, "-m", "bot.cli"]
    seeded = subprocess.run(
        [*cli, "demo", "seed", "--if-empty"], env=env, cwd=ROOT, capture_output=True, text=True
    )
    if seeded.returncode != 0:
        raise SystemExit(f"switchboard demo seed failed:\n{seeded.stdout}{seeded.stderr}")
    port = port or free_port()
    log_path = data_dir / "server.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [*cli, "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while True:
            if process.poll() is not None:
                raise SystemExit(
                    f"server exited ({process.returncode}):\n{log_path.read_text()[-3000:]}"
                )
            try:
                if httpx.get(f"{base_url}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit(f"server not healthy in {START_TIMEOUT_SECONDS:.0f} s")
            time.sleep(0.2)
        yield base_url
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def run_cases(driver: EvaluationDriver, data: DataSet, only: str | None) -> list[CaseResult]:
    results = []
    for single in data.singles:
        if only in (None, single.case_class):
            results.append(driver.run_single(single))
    if only in (None, "multi_turn"):
        results.extend(driver.run_conversation(c) for c in data.conversations)
    return results


def components(encoder: str | None) -> list[str]:
    """StackFAQ recall@1 (the shipped fusion, test split) and BANKING77 accuracy."""
    lines = ["components (each bench run as a subprocess, same machine, same run):"]
    backend = [] if encoder is None else ["--backend", encoder]
    stackfaq = _run_bench("kb_stackfaq.py", *backend)
    found = re.search(r"test, shipped \(weight [\d.]+[^)]*\):\s+recall@1 ([\d.]+)", stackfaq)
    lines.append(
        _component_line(
            "StackFAQ recall@1 (test, shipped fusion)", found, GOAL_STACKFAQ_RECALL_AT_1
        )
    )
    banking = _run_bench("nlu_banking77.py", *backend)
    found = re.search(r"accuracy \(top-1, closed set\)\s+([\d.]+)", banking)
    lines.append(_component_line("BANKING77 closed-set accuracy", found, GOAL_BANKING77_ACCURACY))
    return lines


def _run_bench(script: str, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / script), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1"},
    )
    if done.returncode != 0:
        raise SystemExit(f"bench/{script} failed:\n{done.stderr[-3000:]}")
    return done.stdout


def _component_line(name: str, found: re.Match[str] | None, goal: float) -> str:
    if found is None:
        return f"  {name}: not found in the script's output"
    value = float(found.group(1))
    return f"  {name:42} {value:.4f}  goal >= {goal:.2f}  {'met' if value >= goal else 'NOT met'}"


def write_dump(path: Path, results: list[CaseResult]) -> None:
    """One JSON line per judged message, to study the router's choices offline."""
    with path.open("w", encoding="utf-8") as out:
        for result in results:
            for message in result.messages:
                if message.verdict is None or message.expect is None:
                    continue
                line = {
                    "case": result.case_id,
                    "split": result.split,
                    "class": result.case_class,
                    "text": message.text,
                    "expect": message.expect.describe(),
                    "passed": message.verdict.passed,
                    "got": message.outcome.describe(),
                    "routes": list(message.outcome.routes),
                }
                out.write(json.dumps(line, default=str) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--split", choices=["dev", "test", "holdout", "blind", "all"], default="all"
    )
    parser.add_argument("--only", choices=CLASSES)
    parser.add_argument(
        "--messages",
        type=Path,
        help="single messages from this file (messages.yaml's format) instead of the data "
        "set: a set written blind and kept outside the repository, so that its failures "
        "are read only once (its cases' own split names its line)",
    )
    parser.add_argument("--failures", action="store_true", help="list every failing case")
    parser.add_argument(
        "--rules", action="store_true", help="judged messages per rule of the routing decision"
    )
    parser.add_argument(
        "--dump",
        type=Path,
        help="write each judged message (expectation, verdict, stored routes) as JSON lines",
    )
    parser.add_argument(
        "--components", action="store_true", help="also run the StackFAQ and BANKING77 benches"
    )
    parser.add_argument(
        "--encoder",
        choices=["onnx", "onnx-int8", "torch"],
        help="the sentence encoder's backend (SWITCHBOARD_ENCODER__BACKEND); default: its own",
    )
    parser.add_argument(
        "--port", type=int, help="the server's port (default: a free one the system picks)"
    )
    args = parser.parse_args()

    data = load_data_set()  # a malformed case stops the run here
    examples = load_issue_examples()
    chosen = data.only(args.split)
    if args.messages is not None:
        chosen = DataSet(load_singles(args.messages, help_centre_articles()), []).only(args.split)
    identity_secret = secrets.token_urlsafe(32)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="dialogue-eval-") as tmp:
        data_dir = Path(tmp)
        with running_server(data_dir, identity_secret, args.encoder, args.port) as base_url:
            up = time.monotonic() - started
            database = Database(f"sqlite:///{data_dir / 'switchboard.db'}")
            with httpx.Client(base_url=base_url, timeout=60) as client:
                driver = EvaluationDriver(client, StoredReplies(database), identity_secret)
                results = run_cases(driver, chosen, args.only)
                example_results = run_cases(driver, examples, None)
            database.dispose()
    seconds = time.monotonic() - started - up

    singles = sum(r.case_class != "multi_turn" for r in results)
    replies = [m for r in results for m in r.messages]
    legacy = sum(m.outcome.legacy for m in replies)
    print(
        f"dialogue evaluation: {singles} messages, {len(results) - singles} conversations "
        f"({len(replies)} customer messages) through a real server (started in {up:.0f} s, "
        f"cases run in {seconds:.0f} s)"
    )
    print(
        f"outcomes read from attributes.route: {len(replies) - legacy}; by the legacy reader "
        f"(no route stored): {legacy}"
    )
    by_split = {
        split: [r for r in results if r.split == split]
        for split in ("dev", "test", "holdout", "blind")
        if args.split in (split, "all")
    }
    if args.split == "all":
        by_split["all"] = results
    print()
    for line in figures_table(by_split):
        print(line)
    print()
    for line in worst_articles(results):
        print(line)
    example_figures = Figures.of(example_results)
    print()
    print(
        f"issue examples: {example_figures.overall[0]}/{example_figures.overall[1]} passed "
        f"({len(examples.singles)} messages, {len(examples.conversations)} conversations; "
        "not part of the figures above)"
    )
    if args.rules:
        print()
        for line in by_rule(results):
            print(line)
    if args.dump:
        write_dump(args.dump, results)
    if args.failures:
        print()
        for line in failure_lines([*results, *example_results]):
            print(line)
    if args.components:
        print()
        for line in components(args.encoder):
            print(line)


if __name__ == "__main__":
    main()
