"""PostgreSQL stopped under a running app: every door answers 503 with JSON and
Retry-After (not a plain 500), the widget's socket is told to come back, and /healthz
says the database is down.

The test starts a throwaway PostgreSQL server of its own (scripts/postgres.sh), so it
can stop it without disturbing the suite's shared one."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
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
