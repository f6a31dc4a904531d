"""A server killed with SIGKILL in the middle of a load of web chat messages, then
started again: every message it had taken in is answered exactly once, by the request
itself, by a resend of it, or by the stranded-message sweeper; none stays `received`.
The real CLI (`switchboard serve`, production mode) on PostgreSQL.

After the kill, the messages cut off before they were taken in are sent again (they
were never accepted), and so is every second stranded one (racing the sweeper, which
must not answer it twice); the other stranded ones are left to the sweeper alone, as
with a provider that does not retry."""

from __future__ import annotations

import contextlib
import re
import signal
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
from sqlalchemy import create_engine, func, select
from sqlalchemy.engine import Engine

from crm_store.models import InboundReceipt, Interaction
from tests.support.ports import free_port
from tests.support.server_process import (
    ServerProcess,
    cli,
    poll,
    server_env,
    wait_until_healthy,
)

VISITORS = 24
MESSAGES_EACH = 5
CONCURRENCY = 12
STRANDED_BEFORE_KILL = 3  # kill once at least this many are taken in and unanswered
SWEEP_TIMEOUT_SECONDS = 90.0


@contextlib.contextmanager
def serve(env: dict[str, str], log: Path) -> Iterator[ServerProcess]:
    port = free_port()
    with log.open("ab") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
    server = ServerProcess(process, f"http://127.0.0.1:{port}", env, log)
    try:
        wait_until_healthy(server)
        yield server
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def receipts_by_status(store: Engine) -> Counter[str]:
    with store.connect() as connection:
        rows = connection.execute(
            select(InboundReceipt.status, func.count()).group_by(InboundReceipt.status)
        )
        return Counter({status: count for status, count in rows})


def stranded_messages(store: Engine) -> list[tuple[int, int]]:
    """(visitor, number) of the messages taken in whose answer is not logged."""
    with store.connect() as connection:
        texts = connection.scalars(
            select(Interaction.text)
            .join(InboundReceipt, InboundReceipt.interaction_id == Interaction.id)
            .where(InboundReceipt.status == "received")
        ).all()
    found = [re.fullmatch(r"visitor (\d+) message (\d+)", text) for text in texts]
    return sorted((int(m[1]), int(m[2])) for m in found if m is not None)


def answers_per_message(store: Engine) -> dict[str, int]:
    """How many bot replies each inbound message got, by its provider id."""
    with store.connect() as connection:
        rows = connection.execute(
            select(
                Interaction.id, Interaction.direction, Interaction.provider_message_id,
                Interaction.in_reply_to_id,
            )
        ).all()  # fmt: skip
    inbound = {row.id: row.provider_message_id for row in rows if row.direction == "in"}
    assert len(set(inbound.values())) == len(inbound), "a message was taken in twice"
    answers = dict.fromkeys(inbound.values(), 0)
    for row in rows:
        if row.direction == "out" and row.in_reply_to_id in inbound:
            answers[inbound[row.in_reply_to_id]] += 1
    return answers


class Load:
    """Widget visitors sending messages over the REST API; remembers what failed."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.tokens: list[str] = []
        self.sent: dict[tuple[int, int], int | str] = {}
        self._lock = threading.Lock()

    def start_sessions(self) -> None:
        with httpx.Client(base_url=self.base_url, timeout=10.0) as client:
            for n in range(VISITORS):
                started = client.post("/api/v1/webchat/sessions", json={"name": f"Visitor {n}"})
                assert started.status_code == 200, started.text
                self.tokens.append(started.json()["token"])

    def send(self, visitor: int, number: int, base_url: str | None = None) -> None:
        headers = {"Authorization": f"Bearer {self.tokens[visitor]}"}
        try:
            with httpx.Client(base_url=base_url or self.base_url, timeout=30.0) as client:
                response = client.post(
                    "/api/v1/webchat/messages",
                    json={
                        "client_message_id": f"m-{number}",
                        "text": f"visitor {visitor} message {number}",
                    },
                    headers=headers,
                )
            outcome: int | str = response.status_code
        except httpx.TransportError as exc:  # the server died under it
            outcome = type(exc).__name__
        with self._lock:
            self.sent[(visitor, number)] = outcome

    def run(self, pool: ThreadPoolExecutor) -> list[object]:
        return [
            pool.submit(self.send, visitor, number)
            for number in range(MESSAGES_EACH)
            for visitor in range(VISITORS)
        ]

    def failed(self) -> list[tuple[int, int]]:
        return [key for key, outcome in self.sent.items() if outcome != 200]


def test_sigkill_under_load_leaves_no_message_unanswered(postgres_url: str, tmp_path: Path) -> None:
    env = server_env(postgres_url, tmp_path / "data")
    env.update(
        SWITCHBOARD_SWEEPER__GRACE_SECONDS="2",
        SWITCHBOARD_SWEEPER__POLL_INTERVAL_SECONDS="0.5",
        SWITCHBOARD_SWEEPER__LEASE_SECONDS="30",
    )
    cli(env, "db", "upgrade")
    store = create_engine(postgres_url)
    log = tmp_path / "server.stderr"
    try:
        with serve(env, log) as first:
            load = Load(first.base_url)
            load.start_sessions()
            with ThreadPoolExecutor(CONCURRENCY) as pool:
                load.run(pool)
                poll(
                    lambda: (
                        True
                        if receipts_by_status(store)["received"] >= STRANDED_BEFORE_KILL
                        else None
                    ),
                    60.0,
                    "messages taken in and not yet answered",
                )
                first.process.send_signal(signal.SIGKILL)
                first.process.wait()
            # Some of what was taken in has no answer logged, and nothing brings it
            # back on its own: the process that owed the answer is gone.
            stranded = stranded_messages(store)
            assert stranded, receipts_by_status(store)
            never_taken_in = [key for key in load.failed() if key not in stranded]
            left_to_sweeper = stranded[0::2]
            resent = never_taken_in + stranded[1::2]

        with serve(env, log) as second:
            with ThreadPoolExecutor(CONCURRENCY) as pool:
                for visitor, number in resent:
                    pool.submit(load.send, visitor, number, second.base_url)
            assert all(load.sent[key] == 200 for key in resent), load.sent
            poll(
                lambda: True if receipts_by_status(store)["received"] == 0 else None,
                SWEEP_TIMEOUT_SECONDS,
                "every stranded message to be answered",
            )
            states = receipts_by_status(store)
            answers = answers_per_message(store)
            swept = second.stderr().count('"stranded message answered"')
    finally:
        store.dispose()

    assert set(states) == {"answered"}, states
    assert len(answers) == VISITORS * MESSAGES_EACH  # every message sent was taken in
    assert all(count == 1 for count in answers.values()), {
        message: count for message, count in answers.items() if count != 1
    }
    assert swept >= len(left_to_sweeper), "the sweeper did not answer the stranded messages"
