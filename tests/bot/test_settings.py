"""Settings from the environment: prefix, nesting, secrets, production safety."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import SecretStr, ValidationError

from bot.settings import Settings


def test_nested_environment_variables(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("SWITCHBOARD_DATABASE__URL", "postgresql+psycopg://u:p@db/sb")
    monkeypatch.setenv("SWITCHBOARD_PUBLIC_BASE_URL", "https://support.acme.test")
    monkeypatch.setenv("SWITCHBOARD_DELIVERY__MAX_ATTEMPTS", "3")
    monkeypatch.setenv("SWITCHBOARD_WEBCHAT__SECRET_KEY", "s3cret")
    monkeypatch.setenv("SWITCHBOARD_DATA_DIR", str(tmp_path))
    settings = Settings()
    assert settings.database_url == "postgresql+psycopg://u:p@db/sb"
    assert settings.public_base_url == "https://support.acme.test"
    assert settings.delivery.max_attempts == 3
    assert isinstance(settings.webchat.secret_key, SecretStr)
    assert "s3cret" not in repr(settings)
    assert settings.migrate_on_start is False


def test_default_is_sqlite_in_the_data_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("SWITCHBOARD_DATA_DIR", str(tmp_path))
    settings = Settings()
    assert settings.database_url == f"sqlite:///{tmp_path.resolve() / 'switchboard.db'}"
    assert settings.migrate_on_start is True
    secret = settings.webchat_secret()
    assert secret == Settings().webchat_secret()  # kept in the data dir across restarts
    assert (tmp_path / "webchat_secret").stat().st_mode & 0o777 == 0o600


def test_production_refuses_to_start_without_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SWITCHBOARD_ENVIRONMENT", "production")
    monkeypatch.setenv("SWITCHBOARD_DATABASE__URL", "postgresql+psycopg://db/sb")
    with pytest.raises(ValidationError, match="SWITCHBOARD_WEBCHAT__SECRET_KEY"):
        Settings()
    monkeypatch.setenv("SWITCHBOARD_WEBCHAT__SECRET_KEY", "too-short")
    with pytest.raises(ValidationError, match="at least 32 characters"):
        Settings()
    monkeypatch.setenv("SWITCHBOARD_WEBCHAT__SECRET_KEY", "a-real-secret-of-enough-length-1234")
    monkeypatch.delenv("SWITCHBOARD_DATABASE__URL")
    with pytest.raises(ValidationError, match="SWITCHBOARD_DATABASE__URL"):
        Settings()


def test_nothing_is_built_at_import() -> None:
    import bot.app
    import channels.web.routes
    import crm_store.database

    for module in (bot.app, channels.web.routes, crm_store.database):
        names = vars(module).values()
        assert not any(isinstance(value, Settings) for value in names)
