"""Three Switchboard processes on one PostgreSQL behind HAProxy, as docker-compose.yml
runs the replicas (processes here, no Docker; deploy/haproxy/haproxy.cfg with the test's
ports), with a real Dovecot for the mail poller.

Checked: a widget on one process sees live the bot reply written by another and the
agent reply accepted by a third; an agent claim race across processes has one winner;
web sessions x 10 messages spread over the processes lose nothing, answer nothing twice
and misroute nothing; with one process SIGKILLed mid-load, its in-flight work is finished
once by the others and the mail poller's lease moves to another process.

The calm load is the issue's 300 sessions x 10 messages, all at once; the load with the
SIGKILL is 24 x 10, enough to catch the killed process with work in flight
(bench/scale_out.py measures larger loads and their latencies).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import shutil
import signal
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import websockets
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine

from tests.support.load_balancer import LoadBalancer, start_haproxy
from tests.support.mail_servers import DOVECOT, start_dovecot
from tests.support.postgres import POSTGRES_URL, REQUIRE_POSTGRES, fresh_database
from tests.support.prepared import PreparedState
from tests.support.server_process import (
    START_TIMEOUT_SECONDS,
    ServerProcess,
    cli,
    end,
    server_env,
    start_server,
    wait_until_healthy,
)
from tests.support.webchat_load import PREFIX, SessionLog, run_load

pytestmark = pytest.mark.slow

LEASE_RETRY_SECONDS = 1.0
LIVE_TIMEOUT_SECONDS = 15.0


@dataclass
class Cluster:
    servers: list[ServerProcess]
    balancer: LoadBalancer
    store: Engine

    def poller_holder(self) -> int | None:
        """The pid of the process holding the mail poller's lease, if any."""
        with self.store.connect() as connection:
            names = connection.execute(
                text(
                    "SELECT application_name FROM pg_stat_activity "
                    "WHERE application_name LIKE 'switchboard lease mail-poller pid %'"
                )
            ).scalars()
            pids = [int(name.rsplit(" ", 1)[1]) for name in names]
        return pids[0] if len(pids) == 1 else None


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory, prepared: PreparedState) -> Iterator[Cluster]:
    if not POSTGRES_URL:
        if REQUIRE_POSTGRES:
            pytest.fail("SWITCHBOARD_TEST_POSTGRES_URL is not set but PostgreSQL is required")
        pytest.skip("no PostgreSQL server (set SWITCHBOARD_TEST_POSTGRES_URL or run make test)")
    if DOVECOT is None:
        pytest.skip("dovecot is not installed (scripts/system-packages.sh installs it)")
    root = tmp_path_factory.mktemp("scale-out")
    # Not under pytest's tmp dir: as root Dovecot runs as `nobody`, which must reach it.
    mail_root = Path(tempfile.mkdtemp(prefix="switchboard-dovecot-"))
    mailbox = start_dovecot(mail_root)
    with contextlib.ExitStack() as stack, fresh_database(POSTGRES_URL) as url:
        stack.callback(shutil.rmtree, mail_root, ignore_errors=True)
        stack.callback(mailbox.stop)
        # One data dir for all, as the replicas' shared volume: the demo help centre's
        # index, and the NLU model trained once for the test run.
        env = server_env(url, prepared.seed(root / "data"))
        env.update(
            SWITCHBOARD_NLU__MODEL_DIR=str(prepared.nlu_model_dir),
            SWITCHBOARD_RATE_LIMITS__ENABLED="false",
            SWITCHBOARD_DELIVERY__LEASE_SECONDS="3",
            SWITCHBOARD_SWEEPER__GRACE_SECONDS="3",
            SWITCHBOARD_SWEEPER__POLL_INTERVAL_SECONDS="0.5",
            SWITCHBOARD_PROCESSES__LEASE_RETRY_SECONDS=str(LEASE_RETRY_SECONDS),
            SWITCHBOARD_EMAIL__FROM_ADDRESS="support@example.com",
            SWITCHBOARD_EMAIL__IMAP_HOST=mailbox.host,
            SWITCHBOARD_EMAIL__IMAP_PORT=str(mailbox.port),
            SWITCHBOARD_EMAIL__IMAP_USER=mailbox.user,
            SWITCHBOARD_EMAIL__IMAP_PASSWORD=mailbox.password,
            SWITCHBOARD_EMAIL__IMAP_TLS="false",
            SWITCHBOARD_EMAIL__IMAP_POLL_SECONDS="1",
        )
        cli(env, "db", "upgrade")
        servers = []
        for n in range(3):
            server = start_server(env, root, f"server-{n}")
            stack.callback(end, server.process)
            servers.append(server)
        for server in servers:  # three starting at once on two cores: more time
            wait_until_healthy(server, timeout=3 * START_TIMEOUT_SECONDS)
        balancer = start_haproxy([s.base_url.removeprefix("http://") for s in servers], root)
        stack.callback(balancer.stop)
        store = create_engine(url)
        stack.callback(store.dispose)
        yield Cluster(servers, balancer, store)


def _staff_token(env: dict[str, str], name: str) -> str:
    created = cli(
        env, "staff", "create", "--name", name, "--email", f"{name.lower()}@example.com",
        "--role", "agent",
    )  # fmt: skip
    return created.stdout.strip().splitlines()[-1]


async def test_a_widget_on_one_process_sees_replies_written_by_the_others_live(
    cluster: Cluster,
) -> None:
    a, b, c = cluster.servers
    async with httpx.AsyncClient(base_url=a.base_url, timeout=10) as client:
        token = (await client.post(f"{PREFIX}/sessions", json={})).json()["token"]
    socket_url = a.base_url.replace("http://", "ws://") + f"{PREFIX}/ws"
    async with websockets.connect(socket_url) as socket:
        await socket.send(json.dumps({"type": "hello", "token": token, "after": 0}))
        assert json.loads(await socket.recv())["type"] == "ready"

        # The customer writes through process C; C's bot answers and sends.
        async with httpx.AsyncClient(
            base_url=c.base_url, timeout=30, headers={"Authorization": f"Bearer {token}"}
        ) as widget_http:
            sent = await widget_http.post(
                f"{PREFIX}/messages",
                json={"client_message_id": "live-1", "text": "I want to talk to a human"},
            )
        assert sent.status_code == 200, sent.text
        bot_seqs = {reply["seq"] for reply in sent.json()["replies"]}
        assert bot_seqs
        pushed = await _frames_until(socket, lambda seqs: bot_seqs <= seqs)
        assert {f["author"] for f in pushed if f["seq"] in bot_seqs} == {"bot"}

        # Two agents race for the handoff on B and C: one wins.
        grace, linus = _staff_token(b.env, "Grace"), _staff_token(b.env, "Linus")
        async with (
            httpx.AsyncClient(base_url=b.base_url, timeout=10) as on_b,
            httpx.AsyncClient(base_url=c.base_url, timeout=10) as on_c,
        ):
            listed = await on_b.get(
                "/api/v1/handoffs", headers={"Authorization": f"Bearer {grace}"}
            )
            assert listed.status_code == 200, listed.text
            handoff_id = listed.json()["handoffs"][0]["id"]
            claims = await asyncio.gather(
                on_b.post(
                    f"/api/v1/handoffs/{handoff_id}/claim",
                    headers={"Authorization": f"Bearer {grace}"},
                ),
                on_c.post(
                    f"/api/v1/handoffs/{handoff_id}/claim",
                    headers={"Authorization": f"Bearer {linus}"},
                ),
            )
            assert sorted(r.status_code for r in claims) == [200, 409], [r.text for r in claims]
            winner, client = (grace, on_b) if claims[0].status_code == 200 else (linus, on_c)

            # The winner's reply is accepted by its process; the widget on A sees it.
            replied = await client.post(
                f"/api/v1/handoffs/{handoff_id}/replies",
                json={"text": "Hi, this is a person. How can I help?"},
                headers={"Authorization": f"Bearer {winner}"},
            )
            assert replied.status_code == 201, replied.text
        frames = await _frames_until(
            socket,
            lambda _: False,
            stop=lambda frame: frame.get("author") == "agent",
        )
        assert frames[-1]["text"] == "Hi, this is a person. How can I help?"


async def _frames_until(
    socket: websockets.ClientConnection,
    enough: object,
    *,
    stop: object = None,
) -> list[dict[str, object]]:
    """Message frames from the socket until `enough(seqs seen)` or `stop(frame)`."""
    frames: list[dict[str, object]] = []
    async with asyncio.timeout(LIVE_TIMEOUT_SECONDS):
        while True:
            frame = json.loads(await socket.recv())
            if frame.get("type") != "message":
                continue
            frames.append(frame)
            if stop is not None and stop(frame):  # type: ignore[operator]
                return frames
            if stop is None and enough({f["seq"] for f in frames}):  # type: ignore[operator]
                return frames


def test_sessions_spread_over_processes_lose_nothing_and_answer_once(cluster: Cluster) -> None:
    logs = asyncio.run(run_load(cluster.balancer.base_url, 300, 10, prefix="calm"))
    assert sum(len(log.texts) for log in logs) == 3000
    _assert_each_answered_once(cluster, logs)
    assert _served_by_each(cluster) == 3


def test_a_process_killed_mid_load_leaves_nothing_undone_and_the_poller_moves(
    cluster: Cluster,
) -> None:
    holder = _until(cluster.poller_holder, 20, "a process to take the mail poller's lease")
    victim = next(s for s in cluster.servers if s.process.pid == holder)

    async def load_and_kill() -> list[SessionLog]:
        load = asyncio.create_task(run_load(cluster.balancer.base_url, 24, 10, prefix="kill"))
        await _until_async(lambda: _answered(cluster, "kill") >= 60)
        victim.process.send_signal(signal.SIGKILL)
        killed_at = time.monotonic()
        successor = await asyncio.to_thread(
            _until, lambda: _other_holder(cluster, holder), 15, "the lease to move"
        )
        moved_after = time.monotonic() - killed_at
        assert successor != holder
        # The lease moves within its retry interval, plus a start-up margin.
        assert moved_after < LEASE_RETRY_SECONDS + 5, moved_after
        return await load

    logs = asyncio.run(load_and_kill())
    victim.process.wait()
    _assert_each_answered_once(cluster, logs)
    # Nothing the killed process had taken is left: every send done, every message
    # answered (the survivors' delivery workers and sweepers took over its leases).
    _until(lambda: _unfinished(cluster) == (0, 0) or None, 30, "every send and answer done")


def _other_holder(cluster: Cluster, old: int) -> int | None:
    holder = cluster.poller_holder()
    return holder if holder is not None and holder != old else None


def _assert_each_answered_once(cluster: Cluster, logs: list[SessionLog]) -> None:
    """Every message stored once in its own session's conversation, with the replies its
    client got, and no other."""
    with cluster.store.connect() as connection:
        for log in logs:
            rows = connection.execute(
                text(
                    "SELECT i.id, i.direction, i.text, i.seq, i.in_reply_to_id "
                    "FROM interactions i WHERE i.conversation_id = :c ORDER BY i.seq"
                ),
                {"c": log.conversation_id},
            ).all()
            inbound = [r for r in rows if r.direction == "in"]
            assert [r.text for r in inbound] == list(log.texts.values()), log.name
            for client_id, row in zip(log.texts, inbound, strict=True):
                replies = sorted(r.seq for r in rows if r.in_reply_to_id == row.id)
                assert replies == sorted(log.replies[client_id]), (log.name, client_id)
                assert replies, f"{client_id} has no reply"


def _answered(cluster: Cluster, prefix: str) -> int:
    with cluster.store.connect() as connection:
        return int(
            connection.execute(
                text("SELECT count(*) FROM interactions WHERE direction = 'in' AND text LIKE :p"),
                {"p": f"%({prefix}%"},
            ).scalar_one()
        )


def _unfinished(cluster: Cluster) -> tuple[int, int]:
    """(outbox rows not sent, receipts not answered)."""
    with cluster.store.connect() as connection:
        sends = connection.execute(
            text("SELECT count(*) FROM outbox WHERE status <> 'sent'")
        ).scalar_one()
        answers = connection.execute(
            text("SELECT count(*) FROM inbound_receipts WHERE status <> 'answered'")
        ).scalar_one()
    return int(sends), int(answers)


def _served_by_each(cluster: Cluster) -> int:
    """How many of the processes answered web chat messages (HAProxy's request log)."""
    log = cluster.balancer.log_path.read_text(errors="replace")
    return len(set(re.findall(r"switchboard/(app\d+) .*POST /api/v1/webchat/messages", log)))


def _until(check, timeout: float, what: str):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while True:
        found = check()
        if found:
            return found
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.1)


async def _until_async(check, timeout: float = 60.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not await asyncio.to_thread(check):
        if time.monotonic() > deadline:
            pytest.fail("the load did not get going")
        await asyncio.sleep(0.2)
