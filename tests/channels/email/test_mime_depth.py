"""Mail whose MIME parts nest too deeply: refused before the parser could recurse, with a
422 the relay does not retry, and by the IMAP poller once (counted, passed, not retried)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from email.message import EmailMessage
from pathlib import Path

import httpx
import pytest

from bot.app import create_app
from bot.channel_store.email_store import StoredWatermarks
from bot.settings import DatabaseSettings, EmailSettings, Settings
from channels.email import ImapAccount, MailboxPoller, UnreadableMail, to_inbound
from channels.email.mime_depth import mime_depth
from crm_store import Database
from tests.support.fakes import RecordingIntake, ScriptedDialogue
from tests.support.mail import append, mail
from tests.support.mail_servers import Dovecot

TOKEN = "relay-token-for-tests-0123456789abcdef"
URL = "/webhooks/email/inbound"
DEPTH_REASON = "its MIME parts are nested more than 20 levels deep"


def nested_mail(depth: int, *, message_id: str = "<deep@example.com>") -> bytes:
    """A mail whose text sits inside `depth` multipart/mixed parts, one in another."""
    head = (
        "From: Mallory <mallory@example.com>\r\nTo: support@acme.test\r\n"
        f"Subject: deep\r\nMessage-ID: {message_id}\r\nMIME-Version: 1.0\r\n"
    )
    opening = "".join(
        f'Content-Type: multipart/mixed; boundary="b{n}"\r\n\r\n--b{n}\r\n' for n in range(depth)
    )
    closing = "".join(f"\r\n--b{n}--\r\n" for n in reversed(range(depth)))
    return (head + opening + "Content-Type: text/plain\r\n\r\nhello\r\n" + closing).encode()


def forwarded_mail() -> bytes:
    inner = mail("the original question")
    inner.add_alternative("<p>the original question</p>", subtype="html")
    inner.add_attachment(b"%PDF", maintype="application", subtype="pdf", filename="a.pdf")
    outer = mail("see the mail below")
    outer.add_attachment(inner)
    return outer.as_bytes()


def test_the_depth_of_real_mail_shapes() -> None:
    assert mime_depth(mail("plain").as_bytes()) == 0
    assert mime_depth(forwarded_mail()) == 4  # mixed > message/rfc822 > mixed > alternative
    assert mime_depth(nested_mail(20)) == 20
    assert mime_depth(nested_mail(2000)) == 21  # the scan stops once over the limit
    many = EmailMessage()
    many["From"] = "ada@example.com"
    many.set_content("thirty attachments, side by side")
    for n in range(30):
        many.add_attachment(mail(f"attached {n}"))
    assert mime_depth(many.as_bytes()) == 2  # siblings do not add up
    chain = b"From: a@example.com\r\nContent-Type: message/rfc822\r\n\r\n" * 50
    assert mime_depth(chain + b"From: z@example.com\r\n\r\nbody\r\n") == 21


def test_a_mail_within_the_limit_is_read_and_a_deeper_one_is_refused() -> None:
    assert to_inbound(nested_mail(20)).text == "hello"
    with pytest.raises(UnreadableMail, match=DEPTH_REASON):
        to_inbound(nested_mail(2000))
    with pytest.raises(UnreadableMail, match="nested more than 5 levels"):
        to_inbound(nested_mail(6), max_depth=5)


@pytest.fixture
async def relay(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    settings = Settings(
        data_dir=tmp_path / "var",
        database=DatabaseSettings(url=f"sqlite:///{tmp_path / 'mail.db'}", auto_migrate=True),
        email=EmailSettings(from_address="support@acme.test", inbound_token=TOKEN),  # type: ignore[arg-type]
    )
    app = create_app(settings, dialogue=ScriptedDialogue())
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://sb") as http:
        http.headers["Authorization"] = f"Bearer {TOKEN}"
        http.headers["Content-Type"] = "message/rfc822"
        yield http
    app.state.services.close()


async def test_a_deeply_nested_mail_through_the_relay_gets_a_final_422(
    relay: httpx.AsyncClient,
) -> None:
    response = await relay.post(URL, content=nested_mail(2000))
    assert response.status_code == 422
    assert response.json()["error"] == f"not a mail we can take in: {DEPTH_REASON}"
    again = await relay.post(URL, content=nested_mail(2000))  # a retry gets the same answer
    assert again.status_code == 422
    fine = await relay.post(URL, content=nested_mail(3, message_id="<fine@example.com>"))
    assert fine.status_code == 200 and fine.json()["message_id"] == "<fine@example.com>"


async def test_the_poller_refuses_a_deep_mail_once_and_reads_on(
    dovecot: Dovecot, folder: str, database: Database, caplog: pytest.LogCaptureFixture
) -> None:
    append(dovecot, folder, mail("before", message_id="<before@example.com>"))
    append(dovecot, folder, nested_mail(2000))
    append(dovecot, folder, mail("after", message_id="<after@example.com>"))
    intake = RecordingIntake()
    account = ImapAccount(
        dovecot.host, dovecot.port, dovecot.user, dovecot.password, folder=folder, tls=False
    )
    watermarks = StoredWatermarks(database)
    poller = MailboxPoller(account, intake, watermarks)  # type: ignore[arg-type]
    with caplog.at_level(logging.WARNING, logger="channels.email.poller"):
        assert await poller.poll_once() == 3  # the watermark moved past all three
    assert [message.text for message in intake.received] == ["before", "after"]
    assert poller.refused == 1
    [refusal] = [r for r in caplog.records if r.getMessage() == "mail not taken in"]
    assert refusal.uid == 2 and refusal.reason == DEPTH_REASON  # type: ignore[attr-defined]
    # Nothing comes back: a new poller on the same watermark finds no new mail.
    again = MailboxPoller(account, intake, watermarks)  # type: ignore[arg-type]
    assert await again.poll_once() == 0
    assert again.refused == 0 and len(intake.received) == 2
