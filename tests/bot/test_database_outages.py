"""A database that cannot take a write answers 503 with JSON and Retry-After on every
door (web chat, its socket, Twilio, the mail relay, Slack, the staff API), never a
plain 500, and /healthz says so; once it can write again, the providers' retries get
their messages taken in and answered once."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError

from bot.app import create_app
from crm_store import Database, is_unavailable
from crm_store.errors import StoreUnavailable
from crm_store.models import InboundReceipt, Interaction, SlackEvent
from tests.support.fakes import ScriptedDialogue
from tests.support.outage_harness import (
    RETRY_AFTER,
    Doors,
    assert_socket_told_to_retry,
    assert_unavailable,
    outage_settings,
    seed,
    slack_api,
)

__all__ = ["slack_api"]  # the fixture, imported for these tests


@contextlib.contextmanager
def write_lock(path: Path) -> Iterator[None]:
    """Another connection holds SQLite's write lock until the block ends."""
    holder = sqlite3.connect(path, isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")
        yield
        holder.execute("ROLLBACK")
    finally:
        holder.close()


@contextlib.contextmanager
def read_only(path: Path) -> Iterator[None]:
    """The file cannot be written to until the block ends: mode 0444, or for root
    (whom modes do not stop) the immutable attribute. Skips where neither holds."""
    if os.geteuid() == 0:
        made = subprocess.run(["chattr", "+i", str(path)], capture_output=True, check=False)
        undo = ["chattr", "-i", str(path)]
    else:
        path.chmod(0o444)
        made = subprocess.CompletedProcess([], 0)
        undo = ["chmod", "0644", str(path)]
    try:
        probe = sqlite3.connect(path, isolation_level=None)
        try:
            probe.execute("CREATE TABLE probe (x INTEGER)")
            writable = True
        except sqlite3.OperationalError:
            writable = False
        finally:
            probe.close()
        if made.returncode != 0 or writable:
            pytest.skip(f"cannot make {path.name} read-only here: {made.stderr!r}")
        yield
    finally:
        subprocess.run(undo, capture_output=True, check=False)


def answered_once(database: Database) -> dict[str, int]:
    """Each inbound message's status and how many bot replies it got, by its text."""
    with database.transaction() as session:
        statuses = {
            r.interaction_id: r.status for r in session.scalars(select(InboundReceipt)).all()
        }
        rows = session.scalars(select(Interaction).order_by(Interaction.id)).all()
        replies = {row.id: 0 for row in rows if row.direction == "in"}
        for row in rows:
            if row.direction == "out" and row.in_reply_to_id in replies:
                replies[row.in_reply_to_id] += 1
        texts = {row.id: row.text for row in rows if row.direction == "in"}
        assert all(status == "answered" for status in statuses.values()), statuses
        return {texts[i].strip(): count for i, count in replies.items()}


def test_a_write_lock_held_past_the_busy_timeout_answers_503_and_retries_succeed(
    tmp_path: Path, slack_api: str
) -> None:
    path = tmp_path / "switchboard.db"
    url = f"sqlite:///{path}"
    seeded = seed(url)
    settings = outage_settings(tmp_path, url, slack_api, busy_timeout_seconds=0.2)
    app = create_app(settings, dialogue=ScriptedDialogue(replies=["answer"]))
    with TestClient(app) as client:
        doors = Doors(client, seeded)
        with write_lock(path):
            for door, send in doors.http_doors().items():
                assert_unavailable(send(1), door)
            assert_socket_told_to_retry(doors, 1)
            health = client.get("/healthz")
            assert health.status_code == 503
            assert health.headers["retry-after"] == "7"
            assert "locked" in health.json()["error"]

        # The lock is gone: each provider sends the same request again.
        assert doors.chat(1).status_code == 200
        assert doors.sms(1).status_code == 200
        assert doors.mail(1).status_code == 200
        assert doors.slack(1, retry=1).status_code == 200
        assert doors.ticket(1).status_code == 201
        assert client.get("/healthz").status_code == 200
        database = app.state.services.database
        assert answered_once(database) == {"hello 1": 1, "text 1": 1, "mail 1": 1}
        with database.transaction() as session:
            assert session.scalars(select(SlackEvent.event_id)).all() == ["EvOutage0001"]


def test_a_read_only_database_file_answers_503_and_healthz_says_so(
    tmp_path: Path, slack_api: str
) -> None:
    path = tmp_path / "switchboard.db"
    url = f"sqlite:///{path}"
    seeded = seed(url)
    with read_only(path):
        # Started on the read-only file (or, equally, connections opened after it
        # turned read-only): reads work, every write is refused.
        app = create_app(
            outage_settings(tmp_path, url, slack_api),
            dialogue=ScriptedDialogue(replies=["answer"]),
        )
        with TestClient(app) as client:
            doors = Doors(client, seeded)
            for door, send in doors.http_doors().items():
                assert_unavailable(send(2), door)
            assert_socket_told_to_retry(doors, 2)
            health = client.get("/healthz")
            assert health.status_code == 503, health.text
            assert health.json()["database"] == "not writable"
            assert "readonly" in health.json()["error"]
            # A monitor asking with HEAD is told the same.
            asked = client.head("/healthz")
            assert (asked.status_code, asked.headers["retry-after"]) == (503, str(RETRY_AFTER))
            # Reading still works where nothing is written.
            customers = client.get(
                "/api/v1/customers",
                params={"phone": "+14155550199"},
                headers={"Authorization": f"Bearer {seeded.staff_token}"},
            )
            assert customers.status_code == 200, customers.text


def test_only_errors_of_an_unavailable_database_count_as_an_outage() -> None:
    locked = OperationalError("BEGIN IMMEDIATE", {}, sqlite3.OperationalError("locked"))
    assert is_unavailable(locked)
    assert is_unavailable(StoreUnavailable("down"))
    try:
        try:
            raise locked
        except OperationalError as exc:
            raise RuntimeError("wrapped") from exc
    except RuntimeError as wrapped:
        assert is_unavailable(wrapped)
    assert not is_unavailable(IntegrityError("INSERT", {}, sqlite3.IntegrityError("unique")))
    assert not is_unavailable(ProgrammingError("SELECT", {}, sqlite3.ProgrammingError("typo")))
    assert not is_unavailable(RuntimeError("a bug"))
