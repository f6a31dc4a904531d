"""PostgreSQL stopped under a running app: every door answers 503 with JSON and
Retry-After (not a plain 500), the widget's socket is told to come back, and /healthz
says the database is down.

The test starts a throwaway PostgreSQL server of its own (scripts/postgres.sh), so it
can stop it without disturbing the suite's shared one."""

from __future__ import annotations

import logging
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import make_url

from bot.app import create_app
from tests.support.fakes import ScriptedDialogue
from tests.support.outage_harness import (
    Doors,
    assert_socket_told_to_retry,
    assert_unavailable,
    outage_settings,
    seed,
    slack_api,
)
from tests.support.ports import free_port

__all__ = ["slack_api"]  # the fixture, imported for this test

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "postgres.sh"


class ThrowawayPostgres:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.url = ""

    def start(self) -> str:
        started = subprocess.run(
            ["bash", str(SCRIPT), "start", str(self.directory), str(free_port())],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        if started.returncode != 0:
            pytest.fail(f"scripts/postgres.sh start failed:\n{started.stderr}")
        self.url = started.stdout.strip()
        return self.url

    def stop(self) -> None:
        subprocess.run(
            ["bash", str(SCRIPT), "stop", str(self.directory)],
            capture_output=True,
            timeout=120,
            check=False,
        )


@pytest.fixture
def throwaway_postgres() -> Iterator[ThrowawayPostgres]:
    if not list(Path("/usr/lib/postgresql").glob("*/bin/initdb")):
        pytest.skip("no PostgreSQL server binaries (initdb) on this machine")
    # Not under pytest's private tmp dir: as root the script runs the server as the
    # `postgres` user, who must reach the directory (its Unix socket lives there too).
    server = ThrowawayPostgres(Path(tempfile.mkdtemp(prefix="sb-pg-")))
    server.start()
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(server.directory, ignore_errors=True)


def test_postgres_stopped_mid_test_answers_503_everywhere(
    throwaway_postgres: ThrowawayPostgres, tmp_path: Path, slack_api: str
) -> None:
    url = throwaway_postgres.url
    seeded = seed(url)
    app = create_app(
        outage_settings(tmp_path, url, slack_api), dialogue=ScriptedDialogue(replies=["answer"])
    )
    with TestClient(app) as client:
        doors = Doors(client, seeded)
        assert doors.chat(0).status_code == 200  # up: taken in and answered
        assert client.get("/healthz").status_code == 200

        throwaway_postgres.stop()

        for door, send in doors.http_doors().items():
            assert_unavailable(send(1), door)
        assert_socket_told_to_retry(doors, 1)
        health = client.get("/healthz")
        assert health.status_code == 503
        assert health.json()["database"] == "down"
        assert health.headers["retry-after"] == "7"
        # Public behind the load balancer: what failed, not where the database lives.
        said = health.json()["error"]
        assert "failed" in said
        for private in (str(throwaway_postgres.directory), str(make_url(url).port)):
            assert private not in said, said


# The loops of one process that reach the database on their own and retry.
_RETRYING_LOGGERS = ("bot.delivery.queue", "crm_store.wakeups", "bot.singletons")


def test_postgres_stopped_is_one_line_per_retrying_loop_not_a_traceback_per_try(
    throwaway_postgres: ThrowawayPostgres,
    tmp_path: Path,
    slack_api: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    for name in _RETRYING_LOGGERS:
        caplog.set_level(logging.DEBUG, logger=name)
    url = throwaway_postgres.url
    seed(url)
    app = create_app(
        outage_settings(tmp_path, url, slack_api), dialogue=ScriptedDialogue(replies=["answer"])
    )
    with TestClient(app) as client:
        assert client.get("/healthz").status_code == 200
        throwaway_postgres.stop()

        def repeats(what: str) -> int:
            return sum(
                1
                for r in caplog.records
                if r.levelno == logging.DEBUG and r.getMessage().startswith(f"{what} failing")
            )

        # The listener retries every second, the outbox queue's passes as often: wait
        # until each has failed again after its first warning.
        deadline = time.monotonic() + 60
        while min(repeats("wake-up listener"), repeats("outbox queue")) < 2:
            assert time.monotonic() < deadline, "the loops did not retry within a minute"
            time.sleep(0.2)

    loud = [
        r for r in caplog.records if r.name in _RETRYING_LOGGERS and r.levelno >= logging.WARNING
    ]
    said = [r.getMessage().partition(" failing: ")[0] for r in loud]
    assert "wake-up listener" in said and "outbox queue" in said
    assert len(said) == len(set(said)), said  # one line per loop (and lease), not per try
    assert all(r.exc_info is None for r in loud if " failing: " in r.getMessage())
