"""The app under a TestClient: its services, staff users in its store, and waiting for
its background work (Bolt listeners, queue workers) to show an effect."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient

from crm_store import staff


def services(client: TestClient) -> Any:
    return client.app.state.services  # type: ignore[attr-defined]


def add_staff(client: TestClient, name: str, email: str, role: str, slack_user: str | None) -> int:
    with services(client).database.transaction() as session:
        record, _ = staff.create_staff(
            session, name=name, email=email, role=role, slack_user_id=slack_user
        )
    return record.id


def eventually(predicate: Callable[[], Any], timeout: float = 20.0) -> Any:
    """Wait for background work (Bolt listeners, the call worker) to show its effect."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.02)
