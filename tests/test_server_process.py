"""The production topology as processes: `db upgrade`, then `serve`, as compose runs them.

Each test starts the real CLI in subprocesses, in production mode, on SQLite and on
PostgreSQL, and talks to it over HTTP the way the widget and a staff member would.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from channels.web.identity import identity_hash

START_TIMEOUT_SECONDS = 60.0
STOP_TIMEOUT_SECONDS = 30.0
COMMAND_TIMEOUT_SECONDS = 120.0

T = TypeVar("T")
IDENTITY_SECRET = "process-test-identity-secret-0123456789"


@dataclass
class ServerProcess:
    process: subprocess.Popen[bytes]
    base_url: str
    env: dict[str, str]
    stderr_path: Path

    def client(self, token: str | None = None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.Client(base_url=self.base_url, headers=headers, timeout=10.0)

    def stderr(self) -> str:
        return self.stderr_path.read_text(errors="replace")

    def stop(self, timeout: float = STOP_TIMEOUT_SECONDS) -> int:
        """SIGTERM, as `docker stop` sends; the exit code once the process is gone."""
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=timeout)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _server_env(database_url: str, data_dir: Path) -> dict[str, str]:
    """This process's environment without SWITCHBOARD_ settings, plus compose's."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("SWITCHBOARD_")}
    env.update(
        SWITCHBOARD_ENVIRONMENT="production",
        SWITCHBOARD_DATABASE__URL=database_url,
        SWITCHBOARD_DATA_DIR=str(data_dir),
        SWITCHBOARD_WEBCHAT__SECRET_KEY="process-test-secret-0123456789abcdef",
        SWITCHBOARD_WEBCHAT__IDENTITY_SECRET=IDENTITY_SECRET,
        SWITCHBOARD_LOG__LEVEL="INFO",
    )
    return env


def _cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=COMMAND_TIMEOUT_SECONDS,
    )
    assert result.returncode == 0, f"switchboard {' '.join(args)} failed:\n{result.stderr}"
    return result


def _poll(check: Callable[[], T | None], timeout: float, what: str) -> T:
    """Call `check` until it returns something other than None; fail after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        found = check()
        if found is not None:
            return found
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.1)


def _wait_until_healthy(server: ServerProcess) -> None:
    def healthy() -> bool | None:
        if server.process.poll() is not None:
            pytest.fail(
                f"server exited with {server.process.returncode} before it was healthy:\n"
                + server.stderr()
            )
        with contextlib.suppress(httpx.TransportError), server.client() as client:
            if client.get("/healthz").status_code == 200:
                return True
        return None

    _poll(healthy, START_TIMEOUT_SECONDS, "GET /healthz to answer 200")


@contextlib.contextmanager
def running_server(database_url: str, tmp_path: Path) -> Iterator[ServerProcess]:
    """`switchboard db upgrade`, then `switchboard serve` until the block ends.

    The server is always gone afterwards: SIGTERM, then SIGKILL if it lingers.
    """
    env = _server_env(database_url, tmp_path / "data")
    _cli(env, "db", "upgrade")
    port = _free_port()
    stderr_path = tmp_path / "server.stderr"
    with (tmp_path / "server.stdout").open("wb") as stdout, stderr_path.open("wb") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            stdout=stdout,
            stderr=stderr,
        )
    server = ServerProcess(process, f"http://127.0.0.1:{port}", env, stderr_path)
    try:
        _wait_until_healthy(server)
        yield server
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=STOP_TIMEOUT_SECONDS)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@pytest.fixture
def server(database_url: str, tmp_path: Path) -> Iterator[ServerProcess]:
    with running_server(database_url, tmp_path) as started:
        yield started


def _assert_stopped_cleanly(returncode: int) -> None:
    # A clean stop on SIGTERM exits 0 (the CLI's own handler; uvicorn alone would
    # re-raise the signal and end with -15). A crash or a SIGKILL is neither.
    assert returncode == 0, f"server exited with {returncode}"


def _json_log_lines(stderr: str) -> list[dict[str, Any]]:
    entries = []
    for line in stderr.splitlines():
        with contextlib.suppress(json.JSONDecodeError):
            entry = json.loads(line)
            if isinstance(entry, dict):
                entries.append(entry)
    return entries


def test_chat_staff_lookup_and_clean_shutdown(server: ServerProcess) -> None:
    with server.client() as anonymous:
        started = anonymous.post(
            "/api/v1/webchat/sessions",
            json={  # Ada is signed in on the company's site, which signs her identity
                "name": "Ada Lovelace",
                "identifier": "ada@example.com",
                "identifier_hash": identity_hash(IDENTITY_SECRET, "ada@example.com"),
            },
        )
        assert started.status_code == 200, started.text
        widget_token = started.json()["token"]

    with server.client(widget_token) as widget:
        sent = widget.post(
            "/api/v1/webchat/messages", json={"client_message_id": "m-1", "text": "hello"}
        )
        assert sent.status_code == 200, sent.text
        replies = sent.json()["replies"]
        assert replies and replies[0]["author"] == "bot"
        assert "Ada" in replies[0]["text"]

    created = _cli(
        server.env,
        "staff", "create", "--name", "Grace Hopper", "--email", "grace@example.com",
        "--role", "agent",
    )  # fmt: skip
    staff_token = created.stdout.strip().splitlines()[-1]

    with server.client(staff_token) as staff:
        found = staff.get("/api/v1/customers", params={"email": "ada@example.com"})
        assert found.status_code == 200, found.text
        (customer,) = found.json()["customers"]
        assert customer["name"] == "Ada Lovelace"

        def delivered() -> list[dict[str, Any]] | None:
            response = staff.get(f"/api/v1/customers/{customer['id']}/interactions")
            assert response.status_code == 200, response.text
            timeline = response.json()["interactions"]
            outbound = [row for row in timeline if row["direction"] == "out"]
            if outbound and all(row["delivery_status"] == "sent" for row in outbound):
                return timeline
            return None

        timeline = _poll(delivered, 10.0, "the bot's reply to be marked sent")

    assert [(row["direction"], row["author"]) for row in timeline] == [
        ("in", "customer"),
        ("out", "bot"),
    ]
    assert timeline[0]["text"] == "hello"
    assert timeline[1]["text"] == replies[0]["text"]
    assert timeline[0]["seq"] < timeline[1]["seq"]

    url = f"/api/v1/customers/{customer['id']}/interactions"
    with server.client("sbs_not-a-real-token") as stranger:
        assert stranger.get(url).status_code == 401
    with server.client(widget_token) as widget:
        assert widget.get(url).status_code == 403

    _assert_stopped_cleanly(server.stop())
    entries = _json_log_lines(server.stderr())
    assert entries, f"no JSON log lines on stderr:\n{server.stderr()}"
    assert all({"time", "level", "message"} <= set(entry) for entry in entries)
    assert not any("color_message" in entry for entry in entries)
    messages = [entry["message"] for entry in entries]
    assert "switchboard started" in messages
    assert "switchboard stopped" in messages


def test_production_server_refuses_to_start_without_a_secret(tmp_path: Path) -> None:
    env = _server_env(f"sqlite:///{tmp_path / 'switchboard.db'}", tmp_path / "data")
    del env["SWITCHBOARD_WEBCHAT__SECRET_KEY"]
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli", "serve", "--port", str(_free_port())],
        env=env,
        capture_output=True,
        text=True,
        timeout=COMMAND_TIMEOUT_SECONDS,
    )
    assert result.returncode != 0
    assert "SWITCHBOARD_WEBCHAT__SECRET_KEY must be set" in result.stderr


def test_healthz_is_503_when_the_database_is_gone(postgres_url: str, tmp_path: Path) -> None:
    admin_url = os.environ["SWITCHBOARD_TEST_POSTGRES_URL"]
    database_name = make_url(postgres_url).database
    with running_server(postgres_url, tmp_path) as server:
        admin = create_engine(make_url(admin_url), isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE "{database_name}" WITH (FORCE)'))
        finally:
            admin.dispose()

        with server.client() as client:
            response = client.get("/healthz")
        assert response.status_code == 503, response.text
        assert response.json()["database"] == "down"

        _assert_stopped_cleanly(server.stop())
