"""Production started with a public URL on this machine (compose's default,
http://localhost:8000) says so once: the links it sends would open the reader's own
computer."""

from __future__ import annotations

import logging

import pytest

from bot.settings import Settings
from bot.wiring.public_url import warn_if_public_url_is_local

SECRET = "a-production-widget-secret-0123456789"


def _production(url: str | None) -> Settings:
    return Settings(
        environment="production",
        public_base_url=url,
        webchat={"secret_key": SECRET},
        database={"url": "postgresql+psycopg://sb@db/sb"},
    )


@pytest.mark.parametrize(
    "url",
    ["http://localhost:8000", "http://127.0.0.1:8000/", "http://[::1]:8000", "http://0.0.0.0"],
)
def test_a_production_url_on_this_machine_is_a_warning_naming_it(
    url: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="bot.wiring.public_url"):
        assert warn_if_public_url_is_local(_production(url))
    (said,) = caplog.records
    assert said.getMessage().startswith(f"SWITCHBOARD_PUBLIC_BASE_URL is {url}: the links")


@pytest.mark.parametrize("url", ["https://support.example.com", "http://10.0.0.5:8000", None])
def test_a_reachable_or_unset_production_url_says_nothing(
    url: str | None, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="bot.wiring.public_url"):
        assert not warn_if_public_url_is_local(_production(url))
    assert caplog.records == []


def test_development_on_localhost_is_as_intended(caplog: pytest.LogCaptureFixture) -> None:
    settings = Settings(public_base_url="http://localhost:8000")
    with caplog.at_level(logging.WARNING, logger="bot.wiring.public_url"):
        assert not warn_if_public_url_is_local(settings)
    assert caplog.records == []
