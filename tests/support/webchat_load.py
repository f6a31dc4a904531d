"""Web chat sessions over HTTP, many at once: the multi-process test's and
bench/scale_out.py's load. Each session sends its messages in order, as the widget
does, and sends a message again (same client_message_id) when its answer did not arrive
(a process died, the load balancer had no replica), as the widget does too."""

from __future__ import annotations

import asyncio
import random
import time
from dataclasses import dataclass, field

import httpx

PREFIX = "/api/v1/webchat"
RETRY_STATUSES = {502, 503, 504}


@dataclass
class SessionLog:
    """What one session sent and got: text per client id, reply seqs, latencies."""

    name: str
    token: str = ""
    conversation_id: int | None = None
    texts: dict[str, str] = field(default_factory=dict)
    replies: dict[str, list[int]] = field(default_factory=dict)
    latencies: list[float] = field(default_factory=list)
    retries: int = 0


async def run_session(
    client: httpx.AsyncClient,
    name: str,
    messages: int,
    *,
    attempts: int = 30,
    pause: float = 0.0,
) -> SessionLog:
    """`pause`: the mean seconds a customer takes to read an answer and type the next
    message (each pause drawn between half and one and a half times it, the same for
    the same session name); the customers also open their chats at random moments of
    the first pause, not all at once. 0 opens every chat at once and sends the next
    message as soon as the answer arrives."""
    log = SessionLog(name)
    pauses = random.Random(name)
    if pause:
        await asyncio.sleep(pauses.uniform(0, pause))
    started = await _post(client, f"{PREFIX}/sessions", {}, None, attempts, log)
    log.token = started["token"]
    for n in range(messages):
        if pause:
            await asyncio.sleep(pause * pauses.uniform(0.5, 1.5))
        client_id = f"{name}-{n}"
        text = f"where is my order? ({name}, message {n})"
        log.texts[client_id] = text
        began = time.perf_counter()
        body = {"client_message_id": client_id, "text": text}
        answer = await _post(client, f"{PREFIX}/messages", body, log.token, attempts, log)
        log.latencies.append(time.perf_counter() - began)
        log.conversation_id = answer["conversation_id"]
        log.replies[client_id] = [reply["seq"] for reply in answer["replies"]]
    return log


async def _post(
    client: httpx.AsyncClient,
    path: str,
    body: dict[str, str],
    token: str | None,
    attempts: int,
    log: SessionLog,
) -> dict:  # type: ignore[type-arg]
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    for attempt in range(attempts):
        try:
            response = await client.post(path, json=body, headers=headers)
        except httpx.TransportError:
            response = None
        if response is not None and response.status_code == 200:
            return response.json()
        if response is not None and response.status_code not in RETRY_STATUSES:
            raise AssertionError(f"{path}: {response.status_code} {response.text}")
        log.retries += 1
        await asyncio.sleep(min(0.2 * (attempt + 1), 1.0))
    raise AssertionError(f"{path}: no answer after {attempts} tries")


async def run_load(
    base_url: str, sessions: int, messages: int, *, prefix: str = "s", pause: float = 0.0
) -> list[SessionLog]:
    """`sessions` sessions at once, `messages` each, through `base_url`, each session
    on a client (a connection) of its own, as each widget is in its own browser.

    One client shared by all the sessions was itself the tail of bench/scale_out.py's
    latencies at 1,000 sessions: 250 sessions on one httpx pool (4 client processes),
    a request waited in the pool and the client's loop before it reached the server,
    mean 5.2 s and p99 18.0 s, while the server's app took p99 13.0 s; one client per
    session, p99 0.8 s before and 0.5 s after the app (bench/README.md, "Fairness at
    1,000 sessions"). `pause`: see `run_session`."""
    tls = httpx.create_ssl_context()  # made once: each client would load the CAs again

    async def session(name: str) -> SessionLog:
        async with httpx.AsyncClient(base_url=base_url, timeout=30.0, verify=tls) as client:
            return await run_session(client, name, messages, pause=pause)

    return list(await asyncio.gather(*(session(f"{prefix}{n}") for n in range(sessions))))


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]
