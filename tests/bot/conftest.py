"""Fixtures for the bot's tests: the environment of the `switchboard` command, and a
server holding the support week (tests/support/support_week.py) with its readers."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from bot.app import create_app
from bot.settings import DatabaseSettings, Settings, SupportSettings
from crm_store import staff
from tests.support.app import services
from tests.support.fakes import ScriptedDialogue
from tests.support.prepared import PreparedState
from tests.support.support_week import write_support_week


@pytest.fixture
def env(
    tmp_path: Path,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    prepared: PreparedState,
) -> dict[str, str]:
    """The environment a CLI command reads (also set in this process, for CliRunner):
    its own data dir with the prepared NLU model, the test's database, plain-text logs."""
    values = {
        "SWITCHBOARD_DATA_DIR": str(prepared.seed(tmp_path / "var")),
        "SWITCHBOARD_NLU__MODEL_DIR": str(prepared.nlu_model_dir),
        "SWITCHBOARD_DATABASE__URL": database_url,
        "SWITCHBOARD_LOG__FORMAT": "text",
    }
    for key, value in values.items():
        monkeypatch.setenv(key, value)
    return values


@dataclass
class Readers:
    """A server with the support week written, and the headers of an admin, an agent
    and a salesperson (who may not read the support figures)."""

    client: TestClient
    admin: dict[str, str]
    agent: dict[str, str]
    sales: dict[str, str]


@pytest.fixture
def readers(tmp_path: Path, database_url: str) -> Iterator[Readers]:
    settings = Settings(
        data_dir=tmp_path / "var",
        database=DatabaseSettings(url=database_url, auto_migrate=True),
        support=SupportSettings(bot_resolves_after_minutes=0),
    )
    with TestClient(create_app(settings, dialogue=ScriptedDialogue())) as client:
        database = services(client).database
        write_support_week(database)
        tokens = {}
        with database.transaction() as session:
            for name, role in (("Dana", "admin"), ("Lee", "agent"), ("Marco", "sales")):
                _, tokens[role] = staff.create_staff(
                    session, name=name, email=f"{name.lower()}@a.test", role=role
                )
        yield Readers(client, *({"Authorization": f"Bearer {tokens[r]}"} for r in tokens))
