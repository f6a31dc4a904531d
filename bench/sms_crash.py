"""SIGKILL a real `switchboard serve` while it sends SMS, several times at random
points, and count what the customers got: losses (must be 0) and duplicates.

    PYTHONPATH=. .venv/bin/python bench/sms_crash.py [MESSAGES] [KILLS]

The server sends through the twilio library to the Twilio stand-in
(tests/support/twilio_standin.py), which takes each message and answers 0.2 s later, so
kills land between "Twilio took it" and "the outbox recorded it". After each kill the
server is started again; rows left `sending` come back after the lease (2 s here) and
are looked for in Twilio's message list before they are sent again. Prints the counts;
the reference is the same run's number of rows left `sending` by the kills (each one a
possible duplicate for an at-least-once outbox without the lookup).
"""

from __future__ import annotations

import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import httpx

from crm_store import Database, customers, history, outbox, upgrade
from crm_store.records import NewInteraction
from tests.support.twilio_standin import TwilioStandIn

ACCOUNT = "AC" + "0123456789abcdef" * 2
PHONES = [f"+1415555{n:04d}" for n in range(10)]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def queue_messages(url: str, count: int) -> list[str]:
    database = Database(url)
    bodies = []
    try:
        with database.transaction() as session:
            for n in range(count):
                phone = PHONES[n % len(PHONES)]
                customer, identity = customers.resolve_identity(session, "sms", phone)
                conversation = history.current_conversation(
                    session, customer_id=customer.id, identity_id=identity.id, channel="sms"
                )
                body = f"answer {n:04d}"
                outbox.log_outbound(
                    session, conversation, phone, NewInteraction("out", "agent", body)
                )
                bodies.append(body)
    finally:
        database.dispose()
    return bodies


def in_state(url: str, *states: str) -> int:
    database = Database(url)
    try:
        with database.transaction() as session:
            return sum(outbox.count_in_state(session, state) for state in states)
    finally:
        database.dispose()


def start(data_dir: Path, port: int, env: dict[str, str]) -> subprocess.Popen[bytes]:
    log = (data_dir / "server.log").open("ab")
    process = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "serve", "--port", str(port)],
        env={**os.environ, **env},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return process
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    process.kill()
    raise SystemExit("the server did not start; see server.log")


def main(count: int = 200, kills: int = 5) -> None:
    stand_in = TwilioStandIn(accept_delay=0.2).start()
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp)
        url = f"sqlite:///{data_dir / 'switchboard.db'}"
        upgrade(url)
        port = free_port()
        env = {
            "SWITCHBOARD_DATA_DIR": str(data_dir),
            "SWITCHBOARD_DATABASE__URL": url,
            "SWITCHBOARD_PUBLIC_BASE_URL": "https://bench.example.test",
            "SWITCHBOARD_TWILIO__ACCOUNT_SID": ACCOUNT,
            "SWITCHBOARD_TWILIO__AUTH_TOKEN": "bench-token",
            "SWITCHBOARD_TWILIO__FROM_NUMBER": "+15005550006",
            "SWITCHBOARD_TWILIO__API_BASE_URL": stand_in.url,
            "SWITCHBOARD_DELIVERY__LEASE_SECONDS": "2",
            "SWITCHBOARD_DELIVERY__POLL_INTERVAL_SECONDS": "0.1",
        }
        bodies = queue_messages(url, count)
        in_flight_at_kills = 0
        rng = random.Random()
        for _ in range(kills):
            server = start(data_dir, port, env)
            time.sleep(rng.uniform(0.1, 1.5))
            server.send_signal(signal.SIGKILL)
            server.wait()
            in_flight_at_kills += in_state(url, "sending")
        server = start(data_dir, port, env)
        deadline = time.monotonic() + 300
        while in_state(url, "pending", "sending") and time.monotonic() < deadline:
            time.sleep(0.5)
        server.send_signal(signal.SIGTERM)
        server.wait()
    stand_in.stop()
    got = Counter(post.form["Body"] for post in stand_in.accepted)
    losses = sum(1 for body in bodies if got[body] == 0)
    duplicates = sum(n - 1 for n in got.values() if n > 1)
    print(f"messages {count}, kills {kills}: losses {losses}, duplicates {duplicates}")
    print(f"twilio list lookups after recovery: {len(stand_in.lists)}")
    print(f"reference: rows left sending by the kills {in_flight_at_kills}")
    if losses:
        raise SystemExit("LOST MESSAGES")


if __name__ == "__main__":
    main(*(int(arg) for arg in sys.argv[1:3]))
