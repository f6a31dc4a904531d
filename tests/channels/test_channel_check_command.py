"""`switchboard check`: the database, then the start-up checks once, one line per
channel, exit status 1 when the database or a configured channel fails; against the Slack
and Twilio stand-ins."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli.main import main
from tests.support.ports import free_port
from tests.support.slack_requests import HANDOFF_CHANNEL, SIGNING_SECRET
from tests.support.slack_standin import SlackStandIn
from tests.support.sms_harness import ACCOUNT, COMPANY_NUMBER, TOKEN
from tests.support.twilio_standin import TwilioStandIn

SLACK_TOKEN = "xoxb-check-token"


@pytest.fixture
def environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """No SWITCHBOARD_* setting from outside; a data dir of the test's own."""
    for name in list(os.environ):
        if name.startswith("SWITCHBOARD_"):
            monkeypatch.delenv(name)
    return {"SWITCHBOARD_DATA_DIR": str(tmp_path / "var")}


def _slack(standin: SlackStandIn) -> dict[str, str]:
    return {
        "SWITCHBOARD_SLACK__BOT_TOKEN": SLACK_TOKEN,
        "SWITCHBOARD_SLACK__SIGNING_SECRET": SIGNING_SECRET,
        "SWITCHBOARD_SLACK__HANDOFF_CHANNEL": HANDOFF_CHANNEL,
        "SWITCHBOARD_SLACK__API_BASE_URL": standin.base_url + "/api/",  # type: ignore[attr-defined]
    }


def _twilio(stand_in: TwilioStandIn) -> dict[str, str]:
    return {
        "SWITCHBOARD_PUBLIC_BASE_URL": "https://support.example.test",
        "SWITCHBOARD_TWILIO__ACCOUNT_SID": ACCOUNT,
        "SWITCHBOARD_TWILIO__AUTH_TOKEN": TOKEN,
        "SWITCHBOARD_TWILIO__FROM_NUMBER": COMPANY_NUMBER,
        "SWITCHBOARD_TWILIO__API_BASE_URL": stand_in.url,
    }


def test_with_every_channel_off_each_says_so_and_the_check_passes(
    environment: dict[str, str],
) -> None:
    result = CliRunner().invoke(main, ["check"], env=environment)
    assert result.exit_code == 0, result.output
    database = Path(environment["SWITCHBOARD_DATA_DIR"]) / "switchboard.db"
    assert result.output.splitlines() == [
        f"database is reachable: sqlite:///{database}, the server migrates it at start",
        "web chat is on",
        "SMS is off: set SWITCHBOARD_TWILIO__* to turn it on",
        "email is off: set SWITCHBOARD_EMAIL__FROM_ADDRESS",
        "Slack is off: SWITCHBOARD_SLACK__BOT_TOKEN is not set",
    ]


def test_a_wrong_slack_token_fails_the_check(
    environment: dict[str, str], standin: SlackStandIn, stand_in: TwilioStandIn
) -> None:
    standin.tokens = {"xoxb-the-real-one"}
    env = environment | _slack(standin) | _twilio(stand_in)
    result = CliRunner().invoke(main, ["check"], env=env)
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert "SMS is on" in lines
    assert (
        "Slack is failing: auth.test answered invalid_auth (check SWITCHBOARD_SLACK__BOT_TOKEN)"
    ) in lines


def test_wrong_twilio_credentials_fail_the_check(
    environment: dict[str, str], standin: SlackStandIn, stand_in: TwilioStandIn
) -> None:
    stand_in.credentials = (ACCOUNT, "the-real-token")
    result = CliRunner().invoke(
        main, ["check"], env=environment | _slack(standin) | _twilio(stand_in)
    )
    assert result.exit_code == 1
    assert "Slack is on" in result.output.splitlines()
    assert "SMS is failing: account fetch answered HTTP 401, error 20003" in result.output


def test_every_configured_channel_passing_passes(
    environment: dict[str, str], standin: SlackStandIn, stand_in: TwilioStandIn
) -> None:
    standin.tokens = {SLACK_TOKEN}
    result = CliRunner().invoke(
        main, ["check"], env=environment | _slack(standin) | _twilio(stand_in)
    )
    assert result.exit_code == 0, result.output
    assert {"Slack is on", "SMS is on", "web chat is on"} <= set(result.output.splitlines())
    assert [call.token for call in standin.made("auth.test")] == [SLACK_TOKEN]


def test_a_database_that_does_not_answer_fails_the_check_with_the_reason(
    environment: dict[str, str],
) -> None:
    # It said "web chat is on" and passed, and the server then refused to start.
    url = f"postgresql+psycopg://sb:hunter2-secret@127.0.0.1:{free_port()}/sb"
    env = environment | {"SWITCHBOARD_DATABASE__URL": url}
    result = CliRunner().invoke(main, ["check"], env=env)
    assert result.exit_code == 1
    first = result.output.splitlines()[0]
    assert first.startswith("database is failing: connection failed: ")
    assert first.endswith("Connection refused (check SWITCHBOARD_DATABASE__URL)")
    assert "hunter2-secret" not in result.output


def test_a_schema_behind_fails_the_check_where_the_server_would_not_migrate_it(
    environment: dict[str, str],
) -> None:
    env = environment | {"SWITCHBOARD_DATABASE__AUTO_MIGRATE": "false"}
    behind = CliRunner().invoke(main, ["check"], env=env)
    assert behind.exit_code == 1
    database = Path(environment["SWITCHBOARD_DATA_DIR"]) / "switchboard.db"
    assert behind.output.splitlines()[0] == (
        f"database is failing: sqlite:///{database} is not at the newest migration: run "
        "`switchboard db upgrade` (or set SWITCHBOARD_DATABASE__AUTO_MIGRATE=true)"
    )

    assert CliRunner().invoke(main, ["db", "upgrade"], env=env).exit_code == 0
    current = CliRunner().invoke(main, ["check"], env=env)
    assert current.exit_code == 0, current.output
    assert current.output.splitlines()[0] == (
        f"database is reachable: sqlite:///{database}, its schema up to date"
    )
