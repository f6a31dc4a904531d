"""SMS is checked at start through the twilio library against the Twilio stand-in: the
account fetch with our credentials, then the from-number among the account's numbers.
Wrong credentials are Twilio's 401 (error 20003), named in an ERROR line and on
/healthz, which still answers 200."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from pydantic import SecretStr

from bot.settings import Settings
from tests.support.checked_app import plain_settings, started
from tests.support.sms_harness import ACCOUNT, COMPANY_NUMBER, TOKEN, twilio_settings
from tests.support.twilio_standin import TwilioStandIn


def _settings(tmp_path: Path, stand_in: TwilioStandIn) -> Settings:
    return twilio_settings(plain_settings(tmp_path), stand_in)


def _errors(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]


def test_wrong_credentials_are_failing_with_twilios_reason(
    tmp_path: Path, stand_in: TwilioStandIn, caplog: pytest.LogCaptureFixture
) -> None:
    stand_in.credentials = (ACCOUNT, "the-real-token")
    with started(_settings(tmp_path, stand_in)) as client:
        response = client.get("/healthz")
    assert response.status_code == 200
    sms = response.json()["channels"]["sms"]
    assert sms["state"] == "failing"
    assert (
        sms["reason"]
        == "account fetch answered HTTP 401, error 20003: Unable to fetch record: Authenticate"
    )
    assert (
        "SMS is failing: account fetch answered HTTP 401, error 20003: "
        "Unable to fetch record: Authenticate "
        "(check SWITCHBOARD_TWILIO__ACCOUNT_SID and SWITCHBOARD_TWILIO__AUTH_TOKEN)"
    ) in _errors(caplog)
    url, auth = stand_in.gets[0]
    assert url == f"/2010-04-01/Accounts/{ACCOUNT}.json" and auth == (ACCOUNT, TOKEN)
    assert not stand_in.posts  # a check sends nothing


def test_right_credentials_and_an_owned_number_say_sms_is_on(
    tmp_path: Path, stand_in: TwilioStandIn, caplog: pytest.LogCaptureFixture
) -> None:
    stand_in.credentials = (ACCOUNT, TOKEN)
    stand_in.numbers = {COMPANY_NUMBER}
    caplog.set_level(logging.INFO)
    with started(_settings(tmp_path, stand_in)) as client:
        sms = client.get("/healthz").json()["channels"]["sms"]
    assert sms["state"] == "on"
    assert any(m.startswith("SMS is on: Twilio webhooks") for m in caplog.messages)
    assert not _errors(caplog)
    lookup = stand_in.gets[1][0]
    assert lookup.startswith(f"/2010-04-01/Accounts/{ACCOUNT}/IncomingPhoneNumbers.json?")
    assert "PhoneNumber=%2B15005550006" in lookup


def test_a_from_number_the_account_does_not_own_is_failing(
    tmp_path: Path, stand_in: TwilioStandIn, caplog: pytest.LogCaptureFixture
) -> None:
    stand_in.numbers = {"+15005550001"}
    with started(_settings(tmp_path, stand_in)) as client:
        sms = client.get("/healthz").json()["channels"]["sms"]
    assert sms["reason"] == f"from-number lookup found no number {COMPANY_NUMBER} in the account"
    assert _errors(caplog)[0].endswith("(check SWITCHBOARD_TWILIO__FROM_NUMBER)")


def test_an_unknown_messaging_service_is_failing(tmp_path: Path, stand_in: TwilioStandIn) -> None:
    stand_in.services = {"MG" + "1" * 32}
    settings = _settings(tmp_path, stand_in)
    twilio = settings.twilio.model_copy(
        update={"from_number": None, "messaging_service_sid": "MG" + "2" * 32}
    )
    with started(settings.model_copy(update={"twilio": twilio})) as client:
        sms = client.get("/healthz").json()["channels"]["sms"]
    assert sms["state"] == "failing"
    assert sms["reason"].startswith("Messaging Service fetch answered HTTP 404, error 20404")
    assert stand_in.gets[-1][0] == "/v1/Services/" + "MG" + "2" * 32


def test_twilio_unreachable_is_failing_and_names_the_url(
    tmp_path: Path, stand_in: TwilioStandIn
) -> None:
    settings = _settings(tmp_path, stand_in)
    stand_in.stop()  # nothing listens there any more
    twilio = settings.twilio.model_copy(update={"auth_token": SecretStr(TOKEN)})
    with started(settings.model_copy(update={"twilio": twilio})) as client:
        sms = client.get("/healthz").json()["channels"]["sms"]
    assert sms["state"] == "failing"
    assert sms["reason"].startswith("reaching Twilio failed (account fetch)")


def test_a_twilio_that_does_not_answer_delays_the_start_by_the_timeout_only(
    tmp_path: Path, stand_in: TwilioStandIn, caplog: pytest.LogCaptureFixture
) -> None:
    """The twilio library waits 15 s for an answer; the check's thread is left to it."""
    stand_in.hang_next_get = 5.0
    settings = _settings(tmp_path, stand_in)
    settings = settings.model_copy(
        update={"checks": settings.checks.model_copy(update={"timeout_seconds": 0.2})}
    )
    with started(settings) as client:
        assert client.get("/healthz").status_code == 200
        assert "SMS is failing: the check got no answer within 0.2 s" in _errors(caplog)
