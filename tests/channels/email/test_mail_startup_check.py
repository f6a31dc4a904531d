"""Email is checked at start against real servers: SMTP connect, STARTTLS and login on
aiosmtpd (nothing is sent), IMAP login and folder select on Dovecot. A wrong password
is failing with the server's own answer, on /healthz (still 200) and in an ERROR line."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from bot.settings import EmailSettings, Settings
from tests.support.checked_app import plain_settings, started
from tests.support.mail_servers import Dovecot, SmtpServer, TlsFiles, start_smtp

SMTP_USER, SMTP_PASSWORD = "bot@example.test", "smtp-secret"


@contextmanager
def smtp_with_login() -> Iterator[SmtpServer]:
    server = start_smtp(credentials=(SMTP_USER, SMTP_PASSWORD))
    try:
        yield server
    finally:
        server.stop()


def _settings(tmp_path: Path, smtp: SmtpServer, dovecot: Dovecot, **changes: Any) -> Settings:
    email = EmailSettings(
        from_address="support@example.test",
        smtp_host=smtp.host,
        smtp_port=smtp.port,
        smtp_user=SMTP_USER,
        smtp_password=SecretStr(SMTP_PASSWORD),
        smtp_starttls=False,
        imap_host=dovecot.host,
        imap_port=dovecot.port,
        imap_user=dovecot.user,
        imap_password=SecretStr(dovecot.password),
        imap_tls=False,
        imap_poll_seconds=3600,
    ).model_copy(update=changes)
    return plain_settings(tmp_path, email=email)


def _errors(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]


def _first_error(caplog: pytest.LogCaptureFixture) -> str:
    """The startup check's error line. The periodic re-check may log another before the
    app stops (on a loaded machine: "the check got no answer within 5 s"); the one with
    the server's answer is the first."""
    errors = _errors(caplog)
    assert errors
    return errors[0]


def test_a_wrong_smtp_password_is_failing_with_the_servers_answer(
    tmp_path: Path, dovecot: Dovecot, caplog: pytest.LogCaptureFixture
) -> None:
    with smtp_with_login() as smtp:
        settings = _settings(tmp_path, smtp, dovecot, smtp_password=SecretStr("wrong"))
        with started(settings) as client:
            response = client.get("/healthz")
        assert not smtp.recorder.received  # a check sends nothing
    assert response.status_code == 200
    email = response.json()["channels"]["email"]
    assert email["state"] == "failing"
    assert email["reason"].startswith(f"SMTP login as {SMTP_USER} refused: 535")
    line = _first_error(caplog)
    assert line.startswith(f"email is failing: SMTP login as {SMTP_USER} refused: 535")
    assert line.endswith(
        "(check SWITCHBOARD_EMAIL__SMTP_USER and SWITCHBOARD_EMAIL__SMTP_PASSWORD)"
    )


def test_a_wrong_imap_password_is_failing_with_the_servers_answer(
    tmp_path: Path, dovecot: Dovecot, caplog: pytest.LogCaptureFixture
) -> None:
    with smtp_with_login() as smtp:
        settings = _settings(tmp_path, smtp, dovecot, imap_password=SecretStr("wrong"))
        with started(settings) as client:
            email = client.get("/healthz").json()["channels"]["email"]
    assert email["state"] == "failing"
    assert email["reason"].startswith(f"IMAP login as {dovecot.user} refused:")
    assert "AUTHENTICATIONFAILED" in email["reason"]
    line = _first_error(caplog)
    assert line.endswith(
        "(check SWITCHBOARD_EMAIL__IMAP_USER and SWITCHBOARD_EMAIL__IMAP_PASSWORD)"
    )


def test_a_folder_that_does_not_exist_is_failing(
    tmp_path: Path, dovecot: Dovecot, caplog: pytest.LogCaptureFixture
) -> None:
    with (
        smtp_with_login() as smtp,
        started(_settings(tmp_path, smtp, dovecot, imap_folder="Nowhere")) as client,
    ):
        email = client.get("/healthz").json()["channels"]["email"]
    assert email["reason"].startswith("IMAP select 'Nowhere' answered NO")
    assert _errors(caplog)[0].endswith("(check SWITCHBOARD_EMAIL__IMAP_FOLDER)")


def test_right_logins_over_starttls_say_email_is_on(
    tmp_path: Path,
    dovecot: Dovecot,
    smtp_starttls: SmtpServer,
    tls_files: TlsFiles,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """STARTTLS with the test CA (this server offers no login: none is configured)."""
    caplog.set_level(logging.INFO)
    settings = _settings(
        tmp_path,
        smtp_starttls,
        dovecot,
        smtp_starttls=True,
        smtp_user=None,
        smtp_password=None,
        ca_file=str(tls_files.cert),
    )
    with started(settings) as client:
        email = client.get("/healthz").json()["channels"]["email"]
    assert email["state"] == "on"
    assert not _errors(caplog)
    assert any(m.startswith("email is on: IMAP support@") for m in caplog.messages)


def test_starttls_refused_by_a_plain_server_is_failing(tmp_path: Path, dovecot: Dovecot) -> None:
    with (
        smtp_with_login() as smtp,
        started(_settings(tmp_path, smtp, dovecot, smtp_starttls=True)) as client,
    ):
        email = client.get("/healthz").json()["channels"]["email"]
    assert email["state"] == "failing"
    assert email["reason"].startswith("SMTP STARTTLS")
