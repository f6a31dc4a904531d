"""Twilio settings: all or nothing, and never without the public URL it signs."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from bot.settings import Settings

TWILIO = {
    "SWITCHBOARD_TWILIO__ACCOUNT_SID": "AC123",
    "SWITCHBOARD_TWILIO__AUTH_TOKEN": "s3cr3t-auth-value",
    "SWITCHBOARD_TWILIO__FROM_NUMBER": "+15005550006",
}


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [*TWILIO, "SWITCHBOARD_PUBLIC_BASE_URL"]:
        monkeypatch.delenv(name, raising=False)


def test_sms_is_off_by_default() -> None:
    assert not Settings().twilio.configured


def test_twilio_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in TWILIO.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("SWITCHBOARD_PUBLIC_BASE_URL", "https://support.example.com")
    settings = Settings()
    assert settings.twilio.configured and settings.twilio.account_sid == "AC123"
    assert settings.twilio.auth_token is not None
    assert "s3cr3t-auth-value" not in repr(settings)  # the secret is never printed


def test_twilio_without_the_public_url_refuses_to_start(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in TWILIO.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError, match="SWITCHBOARD_PUBLIC_BASE_URL must be set"):
        Settings()


def test_half_a_twilio_configuration_says_what_is_missing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SWITCHBOARD_TWILIO__AUTH_TOKEN", "token")
    monkeypatch.setenv("SWITCHBOARD_PUBLIC_BASE_URL", "https://support.example.com")
    with pytest.raises(ValidationError, match="SWITCHBOARD_TWILIO__ACCOUNT_SID"):
        Settings()
