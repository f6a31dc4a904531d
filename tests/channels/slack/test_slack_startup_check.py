"""Slack is checked at start (`auth.test`, then the handoff channel): a wrong token is an
ERROR line naming Slack's `invalid_auth` and the setting to fix, `/healthz` says Slack
is failing and still answers 200, and a fixed token is noticed while the server runs."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from bot.settings import Settings
from tests.support.app import eventually
from tests.support.checked_app import plain_settings, started
from tests.support.slack_requests import HANDOFF_CHANNEL, slack_settings
from tests.support.slack_standin import SlackStandIn

TOKEN = "xoxb-test-token"  # the token slack_settings configures


def _settings(tmp_path: Path, standin: SlackStandIn) -> Settings:
    return slack_settings(plain_settings(tmp_path), standin)


def _records(caplog: pytest.LogCaptureFixture, level: int) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno == level]


def test_a_wrong_token_is_an_error_at_start_and_healthz_says_slack_is_failing(
    tmp_path: Path, standin: SlackStandIn, caplog: pytest.LogCaptureFixture
) -> None:
    standin.tokens = {"xoxb-the-real-one"}
    caplog.set_level(logging.INFO)
    with started(_settings(tmp_path, standin)) as client:
        assert (
            "Slack is failing: auth.test answered invalid_auth (check SWITCHBOARD_SLACK__BOT_TOKEN)"
        ) in _records(caplog, logging.ERROR)
        response = client.get("/healthz")
        assert response.status_code == 200
        body = response.json()
        assert body["status"] == "ok" and body["database"] == "ok"
        slack = body["channels"]["slack"]
        assert slack["state"] == "failing"
        assert slack["reason"] == "auth.test answered invalid_auth"
        assert slack["checked_at"] is not None
    calls = standin.made("auth.test")  # at start, and again while it fails
    assert calls and all(call.token == TOKEN for call in calls)
    assert not standin.made("conversations.info")  # nothing more with a refused token


def test_a_right_token_says_slack_is_on(
    tmp_path: Path, standin: SlackStandIn, caplog: pytest.LogCaptureFixture
) -> None:
    standin.tokens = {TOKEN}
    caplog.set_level(logging.INFO)
    with started(_settings(tmp_path, standin)) as client:
        channels = client.get("/healthz").json()["channels"]
    assert f"Slack is on: handoff cards in {HANDOFF_CHANNEL}" in _records(caplog, logging.INFO)
    assert not any("Slack" in line for line in _records(caplog, logging.ERROR))
    assert channels["slack"]["state"] == "on" and channels["slack"]["reason"] is None
    (info,) = standin.made("conversations.info")
    assert info.arguments["channel"] == HANDOFF_CHANNEL and info.token == TOKEN


def test_a_handoff_channel_the_bot_is_not_in_is_failing(
    tmp_path: Path, standin: SlackStandIn, caplog: pytest.LogCaptureFixture
) -> None:
    standin.channels = {HANDOFF_CHANNEL: False}
    with started(_settings(tmp_path, standin)) as client:
        slack = client.get("/healthz").json()["channels"]["slack"]
    assert slack["state"] == "failing"
    assert f"says the bot is not in {HANDOFF_CHANNEL}" in slack["reason"]
    (line,) = _records(caplog, logging.ERROR)
    assert line.startswith("Slack is failing: conversations.info says the bot is not in")
    assert line.endswith("(check SWITCHBOARD_SLACK__HANDOFF_CHANNEL and that the bot is in it)")


def test_an_unknown_handoff_channel_is_failing(tmp_path: Path, standin: SlackStandIn) -> None:
    standin.channels = {"COTHER0001": True}
    with started(_settings(tmp_path, standin)) as client:
        slack = client.get("/healthz").json()["channels"]["slack"]
    assert slack["reason"] == "conversations.info answered channel_not_found"


def test_without_the_channels_read_scope_the_channel_is_read_instead(
    tmp_path: Path, standin: SlackStandIn
) -> None:
    """The app manifest asks for `*:history`, not `*:read`: Slack answers conversations.info
    with missing_scope, and one message of the channel's history tells the same."""
    standin.refuse_next("conversations.info", "missing_scope")
    with started(_settings(tmp_path, standin)) as client:
        assert client.get("/healthz").json()["channels"]["slack"]["state"] == "on"
    (history,) = standin.made("conversations.history")
    assert history.arguments["channel"] == HANDOFF_CHANNEL


def test_a_token_fixed_while_running_is_noticed(
    tmp_path: Path, standin: SlackStandIn, caplog: pytest.LogCaptureFixture
) -> None:
    standin.tokens = {"xoxb-the-real-one"}
    caplog.set_level(logging.INFO)
    with started(_settings(tmp_path, standin)) as client:
        assert client.get("/healthz").json()["channels"]["slack"]["state"] == "failing"
        standin.tokens.add(TOKEN)  # as if Slack now knew it (a reinstalled app)
        eventually(lambda: client.get("/healthz").json()["channels"]["slack"]["state"] == "on")
    assert f"Slack is on: handoff cards in {HANDOFF_CHANNEL} again" in _records(
        caplog, logging.INFO
    )
    failing = [line for line in _records(caplog, logging.ERROR) if "Slack is failing" in line]
    assert len(failing) == 1  # repeated failures of the same kind are not logged again


def test_a_slack_that_does_not_answer_delays_the_start_by_the_timeout_only(
    tmp_path: Path, standin: SlackStandIn, caplog: pytest.LogCaptureFixture
) -> None:
    standin.hang_next("auth.test", 3.0)
    settings = _settings(tmp_path, standin)
    settings = settings.model_copy(
        update={"checks": settings.checks.model_copy(update={"timeout_seconds": 0.2})}
    )
    with started(settings) as client:
        assert client.get("/healthz").status_code == 200  # serving, whatever Slack does
    assert "Slack is failing: the check got no answer within 0.2 s" in _records(
        caplog, logging.ERROR
    )
