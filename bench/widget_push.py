"""A widget's live push across processes, end to end: from just before a request to
server process B until the frame is read from a widget WebSocket held by process A, next
to the same push within one process and the bare LISTEN/NOTIFY wake-up, same run.

Two `switchboard serve` processes (A and B, each its own port, production settings, the
real NLU model and the demo help centre) on one PostgreSQL. Each session has two widget
sockets open: one on A (the cross-process push) and one on B (the same push within the
process that accepted the request: the reference). Every request goes to B:

- agent replies: a staff member's reply to a claimed handoff through the staff API
  (`POST /api/v1/handoffs/{id}/replies`, what the dashboard and a Rasa-style desk call;
  it is logged with an outbox row, and the delivery worker's web sender wakes the
  session's sockets in every process);
- bot replies: a customer message through the widget's REST API
  (`POST /api/v1/webchat/messages`); B's bot answers within the request and wakes the
  sockets. The request's own time (the turn: NLU, search, store) is printed beside it,
  and the frame's arrival after the response.

Samples are spaced (`--gap`) so the machine stays idle between them; the load average is
printed at the start and the end. The client (this process) reads both sockets and sends
the requests on one event loop, so its own scheduling is in every figure alike.

    SWITCHBOARD_TEST_POSTGRES_URL=postgresql+psycopg://... python bench/widget_push.py
    [--samples 200] [--gap 0.1]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
import websockets  # noqa: E402

from bench.scale_out import prepare_data_dir, server_environment, wakeup_latency  # noqa: E402
from crm_store import upgrade  # noqa: E402
from knowledge.embeddings import SentenceEncoder  # noqa: E402
from tests.support.postgres import fresh_database  # noqa: E402
from tests.support.server_process import (  # noqa: E402
    ServerProcess,
    cli,
    end,
    start_server,
    wait_until_healthy,
)
from tests.support.slack_requests import HANDOFF_CHANNEL, SIGNING_SECRET, Slack  # noqa: E402
from tests.support.slack_standin import SlackStandIn, StandInServer  # noqa: E402
from tests.support.webchat_load import PREFIX, percentile  # noqa: E402

FRAME_TIMEOUT_SECONDS = 10.0
AGENT_SLACK_USER = "UAGENT0001"
# Which message frame answers a request.
Wanted = Callable[[dict[str, object]], bool]
# Questions the demo help centre answers (the bot replies; no handoff).
QUESTIONS = [
    "what are your opening hours?",
    "how do I reset my password?",
    "how long does shipping take?",
    "can I return an item?",
]


@dataclass
class WidgetSocket:
    """One widget connection; when each message frame (by seq) was read, perf_counter."""

    socket: websockets.ClientConnection
    arrived: dict[int, float] = field(default_factory=dict)
    frames: dict[int, dict[str, object]] = field(default_factory=dict)
    _news: asyncio.Event = field(default_factory=asyncio.Event)

    async def read(self) -> None:
        async for raw in self.socket:
            at = time.perf_counter()
            frame = json.loads(raw)
            if frame.get("type") == "message":
                seq = int(frame["seq"])
                self.arrived.setdefault(seq, at)
                self.frames.setdefault(seq, frame)
                self._news.set()

    async def first(self, wanted: Wanted) -> tuple[int, float]:
        """The first frame `wanted` takes, not yet taken: (seq, arrival)."""
        async with asyncio.timeout(FRAME_TIMEOUT_SECONDS):
            while True:
                for seq, frame in sorted(self.frames.items()):
                    if wanted(frame):
                        del self.frames[seq]
                        return seq, self.arrived[seq]
                self._news.clear()
                await self._news.wait()


async def open_socket(server: ServerProcess, token: str) -> tuple[WidgetSocket, asyncio.Task]:
    url = server.base_url.replace("http://", "ws://") + f"{PREFIX}/ws"
    socket = await websockets.connect(url)
    await socket.send(json.dumps({"type": "hello", "token": token, "after": 0}))
    first = json.loads(await socket.recv())
    assert first["type"] == "ready", first
    widget = WidgetSocket(socket)
    return widget, asyncio.create_task(widget.read())


@dataclass
class Samples:
    cross: list[float] = field(default_factory=list)  # request to B -> frame on A (ms)
    within: list[float] = field(default_factory=list)  # request to B -> frame on B (ms)
    response: list[float] = field(default_factory=list)  # request to B -> B's response
    after_response: list[float] = field(default_factory=list)  # B's response -> frame on A

    def line(self, values: list[float]) -> str:
        return f"p50 {percentile(values, 0.50):7.2f} ms  p99 {percentile(values, 0.99):7.2f} ms"


async def new_session(server: ServerProcess) -> str:
    async with httpx.AsyncClient(base_url=server.base_url, timeout=10) as client:
        started = await client.post(f"{PREFIX}/sessions", json={})
        started.raise_for_status()
        return str(started.json()["token"])


async def timed_pushes(
    on_a: WidgetSocket,
    on_b: WidgetSocket,
    samples: int,
    gap: float,
    request: Callable[[int], Awaitable[Wanted]],
    found: Samples,
    *,
    warm: bool,
) -> None:
    """`samples` requests to B, into `found` (`warm`: one more first, not counted, to
    warm the path); `request(n)` sends the n-th and returns which frame answers it."""
    for n in range(-1 if warm else 0, samples):
        await asyncio.sleep(gap)
        started = time.perf_counter()
        wanted = await request(n)
        answered = time.perf_counter()
        (_, at_a), (_, at_b) = await asyncio.gather(on_a.first(wanted), on_b.first(wanted))
        for widget in (on_a, on_b):  # the customer's own message, other frames
            widget.frames.clear()
        if n >= 0:
            found.cross.append(1000 * (at_a - started))
            found.within.append(1000 * (at_b - started))
            found.response.append(1000 * (answered - started))
            found.after_response.append(1000 * (at_a - answered))


def text_is(text: str) -> Wanted:
    return lambda frame: frame.get("text") == text


async def card_ts(standin: SlackStandIn, count: int) -> str:
    """The ts of the `count`-th handoff card posted (its thread is where agents reply)."""
    async with asyncio.timeout(60):
        while len(cards := standin.posted()) < count:
            await asyncio.sleep(0.1)
    return str(cards[count - 1]["ts"])


async def handed_off(client: httpx.AsyncClient, token: str, agent: dict[str, str]) -> int:
    """A new chat whose customer asks for a person; the agent claims the handoff."""
    asked = await client.post(
        f"{PREFIX}/messages",
        json={"client_message_id": "human", "text": "I want to talk to a human"},
        headers={"Authorization": f"Bearer {token}"},
    )
    asked.raise_for_status()
    listed = await client.get("/api/v1/handoffs", params={"state": "queued"}, headers=agent)
    listed.raise_for_status()
    handoff = int(listed.json()["handoffs"][0]["id"])  # newest first
    claimed = await client.post(f"/api/v1/handoffs/{handoff}/claim", headers=agent)
    claimed.raise_for_status()
    return handoff


async def agent_replies(
    a: ServerProcess,
    b: ServerProcess,
    standin: SlackStandIn,
    samples: int,
    gap: float,
    per_chat: int,
) -> tuple[Samples, Samples]:
    """`samples` agent replies through the staff API on B, and as many typed in the
    card's Slack thread (posted to B's Slack events URL, signed as Slack signs them),
    `per_chat` of each per handed-off chat: an agent's reply also re-derives the reply
    waits of its care cycle (`agent_replies`), so a chat of hundreds of replies would
    time that, not the push."""
    staff = cli(
        b.env, "staff", "create", "--name", "Grace", "--email", "grace@example.com",
        "--role", "agent", "--slack-user-id", AGENT_SLACK_USER,
    ).stdout.strip().splitlines()[-1]  # fmt: skip
    agent = {"Authorization": f"Bearer {staff}"}
    api, in_thread = Samples(), Samples()
    async with httpx.AsyncClient(base_url=b.base_url, timeout=30) as client:
        with httpx.Client(base_url=b.base_url, timeout=30) as slack_http:
            slack = Slack(slack_http, standin)  # type: ignore[arg-type]
            chats = -(-samples // per_chat)
            for chat in range(chats):
                token = await new_session(b)
                # The customer's widget is open (on A, and in a second tab on B) before
                # the chat is handed over and the agent joins.
                on_a, reading_a = await open_socket(a, token)
                on_b, reading_b = await open_socket(b, token)
                handoff = await handed_off(client, token, agent)
                thread = await card_ts(standin, chat + 1)

                async def through_api(n: int, handoff: int = handoff) -> Wanted:
                    text = f"agent reply {n} through the staff API"
                    replied = await client.post(
                        f"/api/v1/handoffs/{handoff}/replies", json={"text": text}, headers=agent
                    )
                    assert replied.status_code == 201, replied.text
                    return text_is(text)

                async def in_slack(n: int, thread: str = thread) -> Wanted:
                    text = f"agent reply {n} in the Slack thread"
                    # In a thread: the loop goes on reading both sockets meanwhile.
                    sent = await asyncio.to_thread(
                        slack.thread_reply, AGENT_SLACK_USER, thread, text
                    )
                    assert sent.status_code == 200, sent.text
                    return text_is(text)

                count = min(per_chat, samples - chat * per_chat)
                try:
                    await timed_pushes(on_a, on_b, count, gap, through_api, api, warm=chat == 0)
                    await timed_pushes(on_a, on_b, count, gap, in_slack, in_thread, warm=chat == 0)
                finally:
                    for widget, reading in ((on_a, reading_a), (on_b, reading_b)):
                        reading.cancel()
                        await widget.socket.close()
    return api, in_thread


async def bot_replies(a: ServerProcess, b: ServerProcess, samples: int, gap: float) -> Samples:
    """Customer messages posted to B's web chat API; the bot's first reply to each."""
    token = await new_session(b)
    on_a, reading_a = await open_socket(a, token)
    on_b, reading_b = await open_socket(b, token)
    headers = {"Authorization": f"Bearer {token}"}
    try:
        async with httpx.AsyncClient(base_url=b.base_url, timeout=30, headers=headers) as client:

            async def ask(n: int) -> Wanted:
                question = QUESTIONS[n % len(QUESTIONS)]
                sent = await client.post(
                    f"{PREFIX}/messages", json={"client_message_id": f"q{n}", "text": question}
                )
                assert sent.status_code == 200, sent.text
                replies = sent.json()["replies"]
                assert replies, f"no bot reply to {question!r}"
                seq = replies[0]["seq"]
                return lambda frame: frame.get("seq") == seq

            found = Samples()
            await timed_pushes(on_a, on_b, samples, gap, ask, found, warm=True)
            return found
    finally:
        for widget, reading in ((on_a, reading_a), (on_b, reading_b)):
            reading.cancel()
            await widget.socket.close()


def load_average() -> str:
    return ", ".join(f"{value:.1f}" for value in os.getloadavg())


def report(title: str, found: Samples) -> None:
    print(f"{title} ({len(found.cross)} samples):")
    print(f"  request to B -> frame on A's socket (cross-process) {found.line(found.cross)}")
    print(f"  request to B -> frame on B's socket (one process)   {found.line(found.within)}")
    print(f"  request to B -> B's HTTP response                    {found.line(found.response)}")
    print(
        f"  B's HTTP response -> frame on A's socket             {found.line(found.after_response)}"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--gap", type=float, default=0.1, help="seconds between samples")
    parser.add_argument(
        "--per-chat", type=int, default=10, help="agent replies of each kind per handed-off chat"
    )
    args = parser.parse_args()
    server = os.environ.get("SWITCHBOARD_TEST_POSTGRES_URL")
    if not server:
        raise SystemExit("set SWITCHBOARD_TEST_POSTGRES_URL to a PostgreSQL server")
    root = Path(tempfile.mkdtemp(prefix="widget-push-bench-"))
    encoder = SentenceEncoder()
    data = prepare_data_dir(root, encoder)
    encoder.close()
    standin = SlackStandIn()
    with fresh_database(server) as url, StandInServer(standin) as slack_api:
        upgrade(url)
        env = server_environment(url, data)
        env.update(
            SWITCHBOARD_SLACK__BOT_TOKEN="xoxb-bench-token",
            SWITCHBOARD_SLACK__SIGNING_SECRET=SIGNING_SECRET,
            SWITCHBOARD_SLACK__HANDOFF_CHANNEL=HANDOFF_CHANNEL,
            SWITCHBOARD_SLACK__API_BASE_URL=slack_api.base_url + "/api/",
        )
        a = start_server(env, root, "server-a")
        b = start_server(env, root, "server-b")
        try:
            for process in (a, b):
                wait_until_healthy(process, timeout=600)
            time.sleep(5)  # both loaded their models; the machine settles
            print(f"load average at the start: {load_average()} (on {os.cpu_count()} cores)")
            p50, p99 = wakeup_latency(url)
            print(
                f"reference: LISTEN/NOTIFY wake-up between two processes: "
                f"p50 {p50:.2f} ms, p99 {p99:.2f} ms"
            )
            api, in_thread = asyncio.run(
                agent_replies(a, b, standin, args.samples, args.gap, args.per_chat)
            )
            report("agent replies through the staff API on B", api)
            report("agent replies in the Slack thread, Slack's event to B", in_thread)
            report(
                "bot replies (customer message to B's web chat API)",
                asyncio.run(bot_replies(a, b, args.samples, args.gap)),
            )
            print(f"load average at the end: {load_average()}")
        finally:
            end(a.process)
            end(b.process)


if __name__ == "__main__":
    main()
