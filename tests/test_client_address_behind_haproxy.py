"""Behind the deployed HAProxy (deploy/haproxy/haproxy.cfg), each visitor is counted as
themselves against the per-address rate limits, as docker-compose.yml runs it: the load
balancer on another host appends the client to X-Forwarded-For, and the replica trusts
that header from the load balancer's network only (SWITCHBOARD_RATE_LIMITS__TRUSTED_PROXIES).

Loopback addresses stand for the hosts: the server listens on 127.0.0.1, HAProxy reaches
it from 127.0.0.2 (so uvicorn, which reads forwarded headers from 127.0.0.1 by itself,
does not), and two visitors come from 127.0.0.3 and 127.0.0.4.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.load_balancer import LoadBalancer, start_haproxy
from tests.support.prepared import PreparedState
from tests.support.server_process import cli, end, server_env, start_server, wait_until_healthy

BALANCER_HOST = "127.0.0.2"
SESSIONS_LIMIT = {"per_minute": 1, "burst": 2}  # two new sessions, then one a minute


@pytest.fixture
def balancer(tmp_path: Path, prepared: PreparedState) -> Iterator[LoadBalancer]:
    env = server_env(f"sqlite:///{tmp_path / 'switchboard.db'}", prepared.seed(tmp_path / "data"))
    env.update(
        SWITCHBOARD_NLU__MODEL_DIR=str(prepared.nlu_model_dir),
        SWITCHBOARD_RATE_LIMITS__WEBCHAT_SESSIONS=json.dumps(SESSIONS_LIMIT),
        SWITCHBOARD_RATE_LIMITS__TRUSTED_PROXIES=json.dumps([f"{BALANCER_HOST}/32"]),
    )
    cli(env, "db", "upgrade")
    server = start_server(env, tmp_path)
    try:
        wait_until_healthy(server)
        address = server.base_url.removeprefix("http://")
        started = start_haproxy([address], tmp_path, source=BALANCER_HOST)
        try:
            yield started
        finally:
            started.stop()
    finally:
        end(server.process)


def _visitor(balancer: LoadBalancer, address: str) -> httpx.Client:
    transport = httpx.HTTPTransport(local_address=address)
    return httpx.Client(base_url=balancer.base_url, transport=transport, timeout=10.0)


def test_each_visitor_gets_their_own_session_limit_through_the_load_balancer(
    balancer: LoadBalancer,
) -> None:
    with _visitor(balancer, "127.0.0.3") as first, _visitor(balancer, "127.0.0.4") as second:
        answers = [first.post("/api/v1/webchat/sessions", json={}) for _ in range(3)]
        assert [answer.status_code for answer in answers] == [200, 200, 429]
        # Counted as the load balancer's address, the second visitor was refused too.
        other = second.post("/api/v1/webchat/sessions", json={})
        assert other.status_code == 200, other.text
        # A forged header is appended to, not believed: still the first visitor's count.
        forged = first.post(
            "/api/v1/webchat/sessions", json={}, headers={"X-Forwarded-For": "203.0.113.9"}
        )
        assert forged.status_code == 429
