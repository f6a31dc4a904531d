"""With no replica healthy, the deployed HAProxy (deploy/haproxy/haproxy.cfg) answers
503 itself as a replica would: JSON with a reason and Retry-After, not its HTML page."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import httpx
import pytest

from tests.support.load_balancer import HAPROXY, config_for
from tests.support.ports import free_port
from tests.support.server_process import end


def test_no_healthy_replica_is_a_json_503_with_retry_after(tmp_path: Path) -> None:
    if HAPROXY is None:
        pytest.skip("haproxy is not installed (scripts/system-packages.sh installs it)")
    nobody = free_port()  # nothing listens there: the one replica is down
    port = free_port()
    config = tmp_path / "haproxy.cfg"
    config.write_text(config_for([f"127.0.0.1:{nobody}"], port))
    process = subprocess.Popen(
        [HAPROXY, "-db", "-f", str(config)],
        stdout=(tmp_path / "haproxy.log").open("wb"),
        stderr=subprocess.STDOUT,
    )
    try:
        answer = None
        deadline = time.monotonic() + 20
        while answer is None and time.monotonic() < deadline:
            assert process.poll() is None, (tmp_path / "haproxy.log").read_text()
            try:
                answer = httpx.post(
                    f"http://127.0.0.1:{port}/api/v1/webchat/messages", json={}, timeout=10
                )
            except httpx.TransportError:
                time.sleep(0.2)  # not listening yet
        assert answer is not None, (tmp_path / "haproxy.log").read_text()
        assert answer.status_code == 503
        assert answer.headers["content-type"] == "application/json"
        assert answer.headers["retry-after"] == "5"
        body = answer.json()
        assert body["status"] == "unavailable"
        assert "try again" in body["error"]
        assert body["detail"] == body["error"]  # the API's error shape
    finally:
        end(process)
