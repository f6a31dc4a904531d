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
    quiet = [logging.getLogger(name) for name in ("rasa_sdk.executor", "alembic.runtime.migration")]
    levels = [logger.level for logger in quiet]
    access = logging.getLogger("uvicorn.access")
    filters = access.filters[:]
    yield capsys
    root.handlers[:], root.level = handlers, level
    access.filters[:] = filters
    for logger, was in zip(quiet, levels, strict=True):
        logger.setLevel(was)


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


def test_a_start_logs_a_migration_applied_once_and_not_alembics_chatter(
    stderr: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Alembic said "Context impl SQLiteImpl." and "Will assume non-transactional DDL."
    four times at every start; a migration applied is one line with its revisions."""
    from bot.settings import DatabaseSettings, Settings
    from bot.wiring.database import open_database

    configure_logging("INFO")
    settings = Settings(
        data_dir=tmp_path / "var",
        database=DatabaseSettings(url=f"sqlite:///{tmp_path / 'sb.db'}", auto_migrate=True),
    )
    open_database(settings).dispose()
    first = stderr.readouterr().err.splitlines()
    open_database(settings).dispose()  # already current: nothing to say

    # the first start also says where the new, empty database is (a command run from
    # another folder makes one under that folder's ./var)
    new, migrated = (json.loads(line) for line in first)
    assert new["message"].startswith(f"no database at {tmp_path / 'sb.db'} yet")
    assert (new["level"], migrated["message"]) == ("warning", "database migrated")
    assert migrated["from_revision"] is None
    assert _logged(stderr) == []


def _access(path: str, status: int) -> None:
    """A line as uvicorn's access log writes it."""
    logging.getLogger("uvicorn.access").info(
        '%s - "%s %s HTTP/%s" %d', "10.0.0.2:41000", "GET", path, "1.0", status
    )


def test_at_info_the_load_balancers_health_polls_are_not_logged_but_a_failing_one_is(
    stderr: pytest.CaptureFixture[str],
) -> None:
    configure_logging("INFO")
    _access("/healthz", 200)
    _access("/healthz", 503)
    _access("/api/v1/webchat/sessions", 200)
    assert _logged(stderr) == [
        ("uvicorn.access", '10.0.0.2:41000 - "GET /healthz HTTP/1.0" 503'),
        ("uvicorn.access", '10.0.0.2:41000 - "GET /api/v1/webchat/sessions HTTP/1.0" 200'),
    ]


def test_at_debug_every_health_poll_is_logged(stderr: pytest.CaptureFixture[str]) -> None:
    configure_logging("INFO")
    configure_logging("DEBUG")  # set up again: the INFO filter does not stay behind
    _access("/healthz", 200)
    assert _logged(stderr) == [("uvicorn.access", '10.0.0.2:41000 - "GET /healthz HTTP/1.0" 200')]
