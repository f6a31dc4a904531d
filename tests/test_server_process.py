"""The production topology as processes: `db upgrade`, then `serve`, as compose runs them.

Each test starts the real CLI in subprocesses, in production mode, on SQLite and on
PostgreSQL, and talks to it over HTTP the way the widget and a staff member would.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from channels.web.identity import identity_hash
from tests.support.ports import free_port
from tests.support.server_process import (
    COMMAND_TIMEOUT_SECONDS,
    IDENTITY_SECRET,
    ServerProcess,
    cli,
    end,
    poll,
    server_env,
    start_server,
    wait_until_healthy,
)


@contextlib.contextmanager
def running_server(database_url: str, tmp_path: Path) -> Iterator[ServerProcess]:
    """`switchboard db upgrade`, then `switchboard serve` until the block ends.

    The server is always gone afterwards: SIGTERM, then SIGKILL if it lingers.
    """
    env = server_env(database_url, tmp_path / "data")
    cli(env, "db", "upgrade")
    server = start_server(env, tmp_path)
    try:
        wait_until_healthy(server)
        yield server
    finally:
        end(server.process)


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

    created = cli(
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

        timeline = poll(delivered, 10.0, "the bot's reply to be marked sent")

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
    env = server_env(f"sqlite:///{tmp_path / 'switchboard.db'}", tmp_path / "data")
    del env["SWITCHBOARD_WEBCHAT__SECRET_KEY"]
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli", "serve", "--port", str(free_port())],
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
