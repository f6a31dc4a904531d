"""Structured logs at INFO carry ids, never what customers wrote or where they are
reached: a conversation on the web widget, by SMS (signed Twilio webhooks, replies
through the Twilio stand-in) and by email (the relay webhook, replies over SMTP) is
logged, and no record at INFO or above (its message, arguments or any `extra` field)
holds the customer's words, name, email or phone. So an erasure need not chase logs."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from bot.app import create_app
from bot.settings import EmailSettings, Settings
from knowledge.embeddings import SentenceEncoder
from tests.support.app import eventually
from tests.support.mail import mail
from tests.support.mail_servers import SmtpServer
from tests.support.sms_harness import CUSTOMER, text_in, twilio_settings
from tests.support.twilio_standin import TwilioStandIn
from tests.support.webchat import Visitor

RELAY_TOKEN = "relay-token-for-tests-0123456789abcdef"
WORDS = "my marmalade subscription"
SECRETS = ("marmalade", "Lovelace", "ada@example.com", CUSTOMER, CUSTOMER[2:])
OURS = {"bot", "channels", "crm_store", "actions", "knowledge", "nlu", "analytics", "demo"}
# Record attributes every LogRecord has; everything else came through `extra`.
STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName"}


@pytest.fixture
def client(
    settings: Settings, stand_in: TwilioStandIn, smtp: SmtpServer, encoder: SentenceEncoder
) -> Iterator[TestClient]:
    email = EmailSettings(
        smtp_host=smtp.host,
        smtp_port=smtp.port,
        smtp_starttls=False,
        from_address="support@acme.test",
        inbound_token=SecretStr(RELAY_TOKEN),
    )
    both = twilio_settings(settings, stand_in).model_copy(update={"email": email})
    with TestClient(create_app(both, encoder=encoder)) as client:
        yield client


def test_info_logs_hold_no_message_text_or_address(
    client: TestClient, stand_in: TwilioStandIn, smtp: SmtpServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    Visitor(client, signed_in_as="ada@example.com").say(f"Can I pause {WORDS}?")
    text_in(client, f"Please cancel {WORDS}", "SMlog0001")
    message = mail(f"About {WORDS}", sender="Ada Lovelace <ada@example.com>")
    relayed = client.post(
        "/webhooks/email/inbound?sender_verdict=pass",
        content=message.as_bytes(),
        headers={"Authorization": f"Bearer {RELAY_TOKEN}", "Content-Type": "message/rfc822"},
    )
    assert relayed.status_code in (200, 202), relayed.text
    eventually(lambda: stand_in.accepted and smtp.recorder.received)
    # Switchboard's own loggers (the tests' SMTP server logs its own way, as `mail.log`).
    records = [
        r for r in caplog.records if r.levelno >= logging.INFO and r.name.split(".")[0] in OURS
    ]
    assert any(r.name.startswith("bot.conversation") for r in records)  # the logs were on
    leaks = []
    for record in records:
        fields = {k: v for k, v in vars(record).items() if k not in STANDARD}
        said = " ".join([record.getMessage(), repr(fields)])
        leaks += [(record.name, secret) for secret in SECRETS if secret in said]
    assert leaks == []
