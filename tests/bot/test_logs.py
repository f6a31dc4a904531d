"""The server's log at INFO leads with its own start-up lines: rasa-sdk's executor,
which logs one "Registered function" line per action, speaks there only to warn."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from actions.executor import build_executor
from bot.logs import configure_logging
from crm_store import Database


@pytest.fixture
def stderr(capsys: pytest.CaptureFixture[str]) -> Iterator[pytest.CaptureFixture[str]]:
    """What the configured log writes to stderr; the logging set-up is put back after."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    executor = logging.getLogger("rasa_sdk.executor")
    executor_level = executor.level
    yield capsys
    root.handlers[:], root.level = handlers, level
    executor.setLevel(executor_level)


def _logged(stderr: pytest.CaptureFixture[str]) -> list[tuple[str, str]]:
    lines = stderr.readouterr().err.splitlines()
    return [(entry["logger"], entry["message"]) for entry in map(json.loads, lines)]


def test_at_info_the_action_registrations_are_not_logged_but_their_warnings_are(
    stderr: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    configure_logging("INFO")
    database = Database(f"sqlite:///{tmp_path / 'sb.db'}")
    try:
        build_executor(database)  # registers every action, as the server does
    finally:
        database.dispose()
    logging.getLogger("rasa_sdk.executor").warning("Received an action call without an action.")
    logging.getLogger("bot.app").info("web chat is on")
    assert _logged(stderr) == [
        ("rasa_sdk.executor", "Received an action call without an action."),
        ("bot.app", "web chat is on"),
    ]


def test_at_debug_the_action_registrations_are_logged(stderr: pytest.CaptureFixture[str]) -> None:
    configure_logging("DEBUG")
    logging.getLogger("rasa_sdk.executor").info("Registered function for 'action_greet'.")
    assert _logged(stderr) == [("rasa_sdk.executor", "Registered function for 'action_greet'.")]
