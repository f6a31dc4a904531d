"""A command refused for its settings names the environment variables to change, one
line each, and never prints a secret or a URL given with them."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from pydantic import ValidationError

from bot.cli import main
from bot.cli.settings_errors import explain, unknown_settings, warn_unknown_settings
from bot.settings import Settings

TOKEN = "xoxb-1234-never-print-me"
PASSWORD = "hunter2-never-print-me"


@pytest.fixture
def check_refused(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Callable[..., str]:
    """`switchboard check` with these environment variables set: what it said, refused."""

    def run(**variables: str) -> str:
        monkeypatch.setenv("SWITCHBOARD_DATA_DIR", str(tmp_path / "var"))
        for name, value in variables.items():
            monkeypatch.setenv(name, value)
        done = CliRunner().invoke(main, ["check"])
        assert done.exit_code == 1, done.output
        return done.output

    return run


def test_each_bad_setting_is_named_as_its_environment_variable(
    check_refused: Callable[..., str],
) -> None:
    said = check_refused(
        SWITCHBOARD_SUPPORT__TIMEZONE="Mars/Base",
        SWITCHBOARD_SUPPORT__WEEKDAYS='[1, "x"]',
        SWITCHBOARD_DELIVERY__LEASE_SECONDS="-1",
    )
    assert said.splitlines() == [
        "Error: invalid settings (3):",
        "  SWITCHBOARD_DELIVERY__LEASE_SECONDS: Input should be greater than 0 (got '-1')",
        "  SWITCHBOARD_SUPPORT__TIMEZONE: unknown time zone 'Mars/Base' (got 'Mars/Base')",
        "  SWITCHBOARD_SUPPORT__WEEKDAYS, item 1: Input should be a valid integer, unable to "
        "parse string as an integer (got 'x')",
    ]


def test_a_check_across_settings_shows_its_message_and_none_of_the_values(
    check_refused: Callable[..., str],
) -> None:
    # Pydantic's own message showed every setting given, cut in the middle: the last one
    # (here the bot token) in full.
    said = check_refused(
        SWITCHBOARD_DATABASE__URL=f"postgresql+psycopg://sb:{PASSWORD}@db/sb",
        SWITCHBOARD_SLACK__BOT_TOKEN=TOKEN,
    )
    assert (
        "SWITCHBOARD_SLACK__SIGNING_SECRET and SWITCHBOARD_SLACK__HANDOFF_CHANNEL must be set"
        in said
    )
    assert TOKEN[-8:] not in said
    assert PASSWORD not in said
    assert "errors.pydantic.dev" not in said


def test_a_bad_secret_or_url_is_named_without_its_value() -> None:
    # From the environment these fields take any text; given as other types (a settings
    # file, a test) they fail on their own, and their value is still not shown.
    with pytest.raises(ValidationError) as refused:
        Settings(
            twilio={"auth_token": [PASSWORD]},
            database={"url": [f"postgresql+psycopg://sb:{PASSWORD}@db/sb"]},
            rate_limits={"staff_api": 600},
        )
    said = explain(refused.value)
    assert said.splitlines() == [
        "invalid settings (3):",
        "  SWITCHBOARD_DATABASE__URL: Input should be a valid string",
        "  SWITCHBOARD_TWILIO__AUTH_TOKEN: Input should be a valid string",
        "  SWITCHBOARD_RATE_LIMITS__STAFF_API: Input should be a valid dictionary or instance "
        "of Rate",
    ]


def test_a_json_setting_given_plain_text_is_named_not_a_traceback(
    check_refused: Callable[..., str],
) -> None:
    # pydantic-settings parses a list's variable as JSON before validating, and named
    # only its section ("support") in a traceback.
    said = check_refused(SWITCHBOARD_SUPPORT__WEEKDAYS="mon,tue")
    assert said.splitlines() == [
        "Error: invalid settings (1):",
        "  SWITCHBOARD_SUPPORT__WEEKDAYS: not JSON (Expecting value); this setting takes a "
        'JSON value, as README "Settings" shows it (e.g. [0,1,2,3,4], ["https://a.example"])',
    ]
    assert "Traceback" not in said


def test_a_data_dir_that_cannot_be_made_is_named(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / "var").write_text("a file where the data dir should be")
    monkeypatch.setenv("SWITCHBOARD_DATA_DIR", str(tmp_path / "var"))
    done = CliRunner().invoke(main, ["staff", "list"])
    assert done.exit_code == 1
    assert done.output == (
        f"Error: cannot create {tmp_path / 'var'}, the folder of the SQLite database "
        f"{tmp_path / 'var' / 'switchboard.db'}: a file is in its place\n"
    )


@pytest.mark.parametrize(
    ("url", "said"),
    [
        (f"mysql://sb:{PASSWORD}@db/sb", "'mysql' is not supported"),
        (f"postgresql+psycopg2://sb:{PASSWORD}@db/sb", "'postgresql+psycopg2' is not supported"),
        (f"sb:{PASSWORD} at db", "is not a database URL"),
    ],
)
def test_a_database_url_the_store_cannot_use_is_refused_in_one_line(
    check_refused: Callable[..., str], url: str, said: str
) -> None:
    # Each used to pass the settings and fail at the first connection with a traceback
    # (no such dialect, no such driver module, an unparsable URL).
    output = check_refused(SWITCHBOARD_DATABASE__URL=url)
    assert output.splitlines() == [
        "Error: invalid settings (1):",
        f"  SWITCHBOARD_DATABASE__URL: {said}; use "
        "postgresql+psycopg://user:password@host:5432/database "
        "or sqlite:////absolute/path/switchboard.db",
    ]
    assert PASSWORD not in output


def test_a_postgres_scheme_url_as_hosting_providers_give_it_is_postgresql() -> None:
    settings = Settings(database={"url": f"postgres://sb:{PASSWORD}@db:5432/sb?sslmode=require"})
    assert settings.database_url == f"postgresql+psycopg://sb:{PASSWORD}@db:5432/sb?sslmode=require"


def test_production_with_nothing_set_names_every_missing_setting_at_once(
    check_refused: Callable[..., str],
) -> None:
    # A first deployment used to learn of the secret, set it, and only then of the URL.
    output = check_refused(SWITCHBOARD_ENVIRONMENT="production")
    lines = output.splitlines()
    assert lines[0] == "Error: invalid settings (2):"
    assert lines[1].startswith("  SWITCHBOARD_WEBCHAT__SECRET_KEY must be set, at least 32")
    assert lines[2] == (
        "  SWITCHBOARD_DATABASE__URL must be set when SWITCHBOARD_ENVIRONMENT=production"
    )
    assert len(lines) == 3


@pytest.mark.parametrize(
    ("url", "said"),
    [
        (
            "localhost:8000",
            "'localhost:8000' is not an absolute URL: give the scheme and host browsers and "
            "providers reach this server at, e.g. https://support.example.com",
        ),
        (
            "support.example.com",
            "'support.example.com' is not an absolute URL: give the scheme and host browsers "
            "and providers reach this server at, e.g. https://support.example.com",
        ),
        (
            "https://support.example.com/?from=twilio",
            "'https://support.example.com/?from=twilio': no query or fragment, only scheme, "
            "host and path",
        ),
    ],
)
def test_a_public_url_without_scheme_or_host_is_refused_in_one_line(
    check_refused: Callable[..., str], url: str, said: str
) -> None:
    # Each was taken as given: the links the server sends (survey ratings, unsubscribe,
    # handoff pages) had no scheme, and every Twilio signature check against it failed.
    output = check_refused(SWITCHBOARD_PUBLIC_BASE_URL=url)
    assert output.splitlines() == [
        "Error: invalid settings (1):",
        f"  SWITCHBOARD_PUBLIC_BASE_URL: {said}",
    ]


@pytest.mark.parametrize("url", ["", "https://support.example.com", "http://10.0.0.5:8000/sb/"])
def test_a_public_url_with_scheme_and_host_or_none_is_taken(url: str) -> None:
    assert Settings(public_base_url=url).public_base_url == url


def test_a_phone_region_without_phone_numbers_is_refused_in_one_line(
    check_refused: Callable[..., str],
) -> None:
    # XX passed the pattern, and every staff search for a number without a country code
    # then said "not a phone number (Missing or invalid default region)".
    assert check_refused(SWITCHBOARD_STAFF__DEFAULT_PHONE_REGION="XX").splitlines() == [
        "Error: invalid settings (1):",
        "  SWITCHBOARD_STAFF__DEFAULT_PHONE_REGION: not a region with phone numbers "
        "(ISO 3166 alpha-2: US, GB, DE) (got 'XX')",
    ]
    assert Settings(staff={"default_phone_region": "GB"}).staff.default_phone_region == "GB"


def test_a_misspelt_required_setting_is_named_with_the_one_it_resembles(
    check_refused: Callable[..., str],
) -> None:
    # Production said only "SWITCHBOARD_DATABASE__URL must be set" to an operator who
    # had set it, under a name one letter off.
    said = check_refused(
        SWITCHBOARD_ENVIRONMENT="production",
        SWITCHBOARD_WEBCHAT__SECRET_KEY="k" * 40,
        SWITCHBOARD_DATABSE__URL=f"postgresql+psycopg://sb:{PASSWORD}@db/sb",
    )
    assert said.splitlines()[-1] == (
        "SWITCHBOARD_DATABSE__URL is not a setting, so it is ignored: "
        "did you mean SWITCHBOARD_DATABASE__URL?"
    )
    assert PASSWORD not in said


def test_a_variable_that_looks_like_a_setting_and_is_none_is_warned_of(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # A typo under a section left the channel off, and `check` said only "set
    # SWITCHBOARD_TWILIO__* to turn it on" to an operator who had.
    monkeypatch.setenv("SWITCHBOARD_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("SWITCHBOARD_TWILIO__ACOUNT_SID", "AC123")
    monkeypatch.setenv("SWITCHBOARD_LOG_LEVEL", "DEBUG")
    monkeypatch.setenv("SWITCHBOARD_SLACK__WORKSPACE", "C123")
    # Not settings, and not like one: compose's own variable, the tests' database.
    monkeypatch.setenv("SWITCHBOARD_REPLICAS", "3")
    monkeypatch.setenv("SWITCHBOARD_TEST_POSTGRES_URL", "postgresql+psycopg://x@y/z")
    done = CliRunner().invoke(main, ["check"])
    assert done.exit_code == 0, done.output
    warnings = [line for line in done.output.splitlines() if line.startswith("Warning: ")]
    assert warnings == [
        "Warning: SWITCHBOARD_LOG_LEVEL is not a setting, so it is ignored: "
        "did you mean SWITCHBOARD_LOG__LEVEL?",
        "Warning: SWITCHBOARD_SLACK__WORKSPACE is not a setting, so it is ignored: "
        'README "Settings" lists them',
        "Warning: SWITCHBOARD_TWILIO__ACOUNT_SID is not a setting, so it is ignored: "
        "did you mean SWITCHBOARD_TWILIO__ACCOUNT_SID?",
    ]


def test_every_setting_and_section_is_known_whatever_its_case() -> None:
    environ = {
        "SWITCHBOARD_DATABASE__URL": "sqlite://",
        "switchboard_log__level": "INFO",
        "SWITCHBOARD_SUPPORT": "{}",
        "SWITCHBOARD_RATE_LIMITS__WEBCHAT_SESSIONS__PER_MINUTE": "5",
        "SWITCHBOARD_CAMPAIGNS__QUIET_HOURS_START": "21:00",
    }
    assert unknown_settings(environ) == []


def test_the_server_logs_a_variable_that_is_no_setting(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("SWITCHBOARD_PUBLIC_URL", "https://chat.example.com")
    with caplog.at_level("WARNING", logger="switchboard"):
        warn_unknown_settings()
    assert [r.getMessage() for r in caplog.records] == [
        "SWITCHBOARD_PUBLIC_URL is not a setting, so it is ignored: "
        "did you mean SWITCHBOARD_PUBLIC_BASE_URL?"
    ]
