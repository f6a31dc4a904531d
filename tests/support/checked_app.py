"""The app on SQLite with a scripted dialogue (no model), for tests of what it says at
start about its channels: its settings with one area replaced, and the app started."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from bot.app import create_app
from bot.settings import ChannelCheckSettings, DatabaseSettings, Settings
from tests.support.fakes import ScriptedDialogue


def plain_settings(tmp_path: Path, **areas: Any) -> Settings:
    """Every channel off (no environment read for them), quick re-checks; `areas`
    replace whole settings areas (`slack=SlackSettings(...)`)."""
    base = Settings(
        data_dir=tmp_path / "var",
        database=DatabaseSettings(url=f"sqlite:///{tmp_path / 'checks.db'}", auto_migrate=True),
        checks=ChannelCheckSettings(timeout_seconds=5.0, failing_every_seconds=0.05),
    )
    return base.model_copy(update=areas)


@contextmanager
def started(settings: Settings) -> Iterator[TestClient]:
    """The app, its lifespan run (the start-up checks done) while the block runs."""
    with TestClient(create_app(settings, dialogue=ScriptedDialogue(replies=["hi"]))) as client:
        yield client
