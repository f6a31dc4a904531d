"""The production topology as processes: `db upgrade`, then `serve`, as compose runs them.

Each test starts the real CLI in subprocesses, in production mode, on SQLite and on
PostgreSQL, and talks to it over HTTP the way the widget and a staff member would.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
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


def _serve_until_it_exits(env: dict[str, str], *options: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", "serve", "--port", str(free_port()), *options],
        env=env,
        capture_output=True,
        text=True,
        timeout=COMMAND_TIMEOUT_SECONDS,
    )


def test_two_worker_processes_on_postgresql_serve_and_stop_cleanly(
    postgres_url: str, tmp_path: Path
) -> None:
    env = server_env(postgres_url, tmp_path / "data")
    cli(env, "db", "upgrade")
    server = start_server(env, tmp_path, "server", "--workers", "2")
    try:
        wait_until_healthy(server)
        started = poll(
            lambda: (
                _started_pids(server.stderr()) if len(_started_pids(server.stderr())) == 2 else None
            ),
            60.0,
            "both server processes to start",
        )
        with server.client() as client:
            assert client.get("/healthz").json()["database"] == "ok"
            session = client.post("/api/v1/webchat/sessions", json={"name": "Ada"})
            assert session.status_code == 200, session.text
        with server.client(session.json()["token"]) as widget:
            sent = widget.post(
                "/api/v1/webchat/messages", json={"client_message_id": "m-1", "text": "hello"}
            )
        assert sent.status_code == 200, sent.text
        assert sent.json()["replies"][0]["author"] == "bot"

        # A process that crashes is an error in the log, and another takes its place.
        victim = min(started)
        os.kill(victim, signal.SIGKILL)
        died = poll(
            lambda: next(
                (
                    entry
                    for entry in _json_log_lines(server.stderr())
                    if entry["level"] == "error" and f"process {victim} died" in entry["message"]
                ),
                None,
            ),
            60.0,
            "the death logged as an error",
        )
        assert "a new process takes its place" in died["message"]
        poll(
            lambda: _count(server.stderr(), "Application startup complete.") == 3 or None,
            120.0,
            "a process in its place, started",
        )
        assert len(_started_pids(server.stderr()) - started) == 1
        assert server.stop() == 0
    finally:
        end(server.process)
    assert server.process.pid not in started  # the supervisor's children serve


def _count(stderr: str, message: str) -> int:
    return sum(entry["message"] == message for entry in _json_log_lines(stderr))


def _started_pids(stderr: str) -> set[int]:
    return {
        int(entry["message"].rpartition("[")[2].rstrip("]"))
        for entry in _json_log_lines(stderr)
        if entry["message"].startswith("Started server process [")
    }


def test_workers_refuse_in_one_line_a_database_that_is_not_reachable_or_not_migrated(
    postgres_url: str, tmp_path: Path
) -> None:
    # Each case used to start the processes, which failed with a traceback and were
    # restarted, and failed again, for as long as the supervisor ran.
    unmigrated = _serve_until_it_exits(server_env(postgres_url, tmp_path / "a"), "--workers", "2")
    assert unmigrated.returncode == 1
    assert unmigrated.stderr.strip().splitlines()[-1] == (
        "Error: the database schema is not up to date: run `switchboard db upgrade` "
        "(or set SWITCHBOARD_DATABASE__AUTO_MIGRATE=true)"
    )
    assert "Traceback" not in unmigrated.stderr

    nobody_listening = make_url(postgres_url).set(port=free_port())
    gone = _serve_until_it_exits(
        server_env(nobody_listening.render_as_string(hide_password=False), tmp_path / "b"),
        "--workers", "2",
    )  # fmt: skip
    assert gone.returncode == 1
    assert gone.stderr.strip().startswith("Error: cannot reach the database: connection failed")
    assert "Traceback" not in gone.stderr


def test_a_worker_process_that_cannot_start_stops_the_others_with_its_reason(
    postgres_url: str, tmp_path: Path
) -> None:
    env = server_env(postgres_url, tmp_path / "data")
    cli(env, "db", "upgrade")
    # The database is fine (the parent's check passes); what fails is the app itself.
    env["SWITCHBOARD_NLU__MODEL_DIR"] = str(tmp_path / "no-model-here")
    result = _serve_until_it_exits(env, "--workers", "2")

    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    reasons = [
        entry["message"]
        for entry in _json_log_lines(result.stderr)
        if entry["message"].startswith("this server process cannot start")
    ]
    assert reasons and all("cannot load NLU model from" in reason for reason in reasons)
    # Stopped at the first process that failed, not restarted over and over.
    assert len(reasons) <= 2
    assert result.stderr.strip().splitlines()[-1] == (
        "Error: a server process could not start: its reason is logged above"
    )
