"""The provider stand-ins and mail server every channel's tests share, and so do the
cross-channel tests beside this file: the Slack Web API stand-in (`standin`), the
Twilio REST stand-in (`stand_in`) and the aiosmtpd SMTP server (`smtp`). The servers
themselves are in tests/support/."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.mail_servers import SmtpServer, start_smtp
from tests.support.slack_standin import SlackStandIn, StandInServer
from tests.support.twilio_standin import TwilioStandIn


@pytest.fixture
def standin() -> Iterator[SlackStandIn]:
    """The Slack Web API stand-in, its base URL set once its server listens."""
    recorder = SlackStandIn()
    with StandInServer(recorder) as server:
        recorder.base_url = server.base_url  # type: ignore[attr-defined]
        yield recorder


@pytest.fixture
def stand_in() -> Iterator[TwilioStandIn]:
    """The Twilio REST stand-in."""
    server = TwilioStandIn().start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def smtp_server() -> Iterator[SmtpServer]:
    server = start_smtp()
    yield server
    server.stop()


@pytest.fixture
def smtp(smtp_server: SmtpServer) -> SmtpServer:
    """The session's SMTP server, emptied for this test."""
    smtp_server.recorder.received.clear()
    smtp_server.recorder.raw.clear()
    smtp_server.recorder.envelopes.clear()
    smtp_server.recorder.refuse_with.clear()
    return smtp_server
