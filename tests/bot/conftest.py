"""Fixtures for the bot's tests that drive the `switchboard` command."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.prepared import PreparedState


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
