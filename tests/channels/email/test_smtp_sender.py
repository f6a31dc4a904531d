"""The SMTP sender against a real SMTP server (aiosmtpd): headers, retries, refusals."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import pytest

from channels.email import MailIdentity, MailThread, SmtpSender, SmtpServer, compose
from channels.errors import DeliveryError
from channels.messages import Channel, OutboundMessage
from tests.support.mail_servers import SmtpServer as RunningSmtp
from tests.support.ports import free_port

LOGGED_AT = datetime(2026, 3, 2, 10, 0, 0, tzinfo=UTC)
IDENTITY = MailIdentity("support@acme.test", "Acme Support")
THREAD = MailThread("<q1@example.com>", "Refunds", ("<first@example.com>",))


def outbound(author: str = "bot", text: str = "Refunds take 5-7 days.", outbox_id: int = 41):
    return OutboundMessage(
        outbox_id=outbox_id,
        interaction_id=7,
        conversation_id=3,
        seq=2,
        channel=Channel.EMAIL,
        address="ada@example.com",
        author=author,
        text=text,
        created_at=LOGGED_AT,
    )


class FixedThread:
    def __init__(self, thread: MailThread | None) -> None:
        self.thread = thread
        self.asked: list[int] = []

    async def thread_of(self, message: OutboundMessage) -> MailThread | None:
        self.asked.append(message.interaction_id)
        return self.thread


def sender(smtp: RunningSmtp, thread: MailThread | None = THREAD) -> SmtpSender:
    server = SmtpServer(smtp.host, smtp.port, starttls=False, timeout_seconds=10)
    return SmtpSender(server, IDENTITY, FixedThread(thread))


def test_a_bot_reply_is_threaded_and_marked_auto_replied() -> None:
    mail = compose(outbound(), THREAD, IDENTITY)
    assert mail["In-Reply-To"] == "<q1@example.com>"
    assert mail["References"] == "<first@example.com> <q1@example.com>"
    assert mail["Subject"] == "Re: Refunds"
    assert mail["Auto-Submitted"] == "auto-replied"
    assert mail["X-Auto-Response-Suppress"] == "All"
    assert mail["To"] == "ada@example.com"
    message_id = str(mail["Message-ID"])
    assert message_id.startswith("<sb-41-") and message_id.endswith("@acme.test>")
    assert mail["Reply-To"] == f"Acme Support <support+{message_id[1:].split('@')[0]}@acme.test>"
    assert compose(outbound(), THREAD, IDENTITY)["Message-ID"] == message_id  # retries reuse it
    assert compose(outbound(outbox_id=42), THREAD, IDENTITY)["Message-ID"] != message_id


def test_a_system_notice_is_marked_auto_generated() -> None:
    mail = compose(outbound(author="system"), THREAD, IDENTITY)
    assert mail["Auto-Submitted"] == "auto-generated"
    assert mail["X-Auto-Response-Suppress"] == "All"


def test_an_agent_reply_is_not_marked_auto_replied_and_re_is_not_doubled() -> None:
    mail = compose(outbound(author="agent"), MailThread("<r@x>", "Re: Refunds"), IDENTITY)
    assert mail["Auto-Submitted"] is None and mail["X-Auto-Response-Suppress"] is None
    assert mail["Subject"] == "Re: Refunds"


def test_markdown_replies_become_readable_text_and_safe_html() -> None:
    text = (
        "Refunds take **5 days**.\n\n- in store\n- by post\n\n"
        "_Source: [Refunds](https://help.acme.test/refunds)_\n\n"
        "<script>alert(1)</script> [bad](javascript:alert(1))"
    )
    mail = compose(outbound(text=text), None, IDENTITY)
    plain = mail.get_body(("plain",)).get_content()
    html = mail.get_body(("html",)).get_content()
    assert plain.startswith("Refunds take 5 days.\n\n- in store\n- by post\n\n")
    assert "Source: Refunds (https://help.acme.test/refunds)" in plain
    assert "<strong>5 days</strong>" in html and "<li>in store</li>" in html
    assert '<a href="https://help.acme.test/refunds">Refunds</a>' in html
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert 'href="javascript:' not in html
    assert mail["In-Reply-To"] is None and mail["Subject"] == "Your message to our support team"


async def test_a_send_reaches_the_smtp_server(smtp: RunningSmtp) -> None:
    receipt = await sender(smtp).send(outbound())
    assert len(smtp.recorder.received) == 1
    got = smtp.recorder.received[0]
    assert smtp.recorder.envelopes == [("support@acme.test", ["ada@example.com"])]
    assert got["Message-ID"] == receipt.provider_message_id
    assert got["In-Reply-To"] == "<q1@example.com>" and got["Auto-Submitted"] == "auto-replied"
    assert got.get_body(("plain",)).get_content().strip() == "Refunds take 5-7 days."


async def test_long_message_ids_and_the_unsubscribe_link_go_out_as_written(
    smtp: RunningSmtp,
) -> None:
    # Outlook's Message-IDs run to 80 characters and more, the signed unsubscribe link
    # to over 100: longer than a folded header line. The email library wrote such a
    # token as RFC 2047 encoded words (`=?utf-8?q?=3CSN6PR04...?=`), which mail
    # programs do not decode in these headers: the reply did not thread under the
    # customer's mail, and the one-click unsubscribe was not recognised.
    outlook = "<SN6PR04MB4014C3BBA8E1A41A1C8B6F7EEA5A0@SN6PR04MB4014.namprd04.prod.outlook.com>"
    first = "<CAOdM2nV3rWq8s+fhvD1xXoPzwGHqHSbCvVzM9wPz8R=dJ0Rz-A@mail.gmail.com>"
    link = "https://support.example.com/unsubscribe?t=" + "eyJlIjoiYWRhQGV4YW1wbGUuY29tIn0" * 3
    identity = dataclasses.replace(IDENTITY, unsubscribe_url=lambda address: link)
    server = SmtpServer(smtp.host, smtp.port, starttls=False, timeout_seconds=10)
    thread = FixedThread(MailThread(outlook, "Sizing", (first,) * 3))
    await SmtpSender(server, identity, thread).send(outbound())
    wire = smtp.recorder.raw[0].decode("ascii")
    header, _, _ = wire.partition("\r\n\r\n")
    assert "=?" not in header
    unfolded = header.replace("\r\n ", " ")
    assert f"\r\nIn-Reply-To: {outlook}\r\n" in unfolded
    assert f"\r\nReferences: {first} {outlook}\r\n" in unfolded
    assert f"\r\nList-Unsubscribe: <{link}>\r\n" in unfolded
    # Folded only between ids, never inside one, at most 998 characters a line.
    assert max(len(line) for line in header.split("\r\n")) <= 998
    references = header.partition("\r\nReferences:")[2].partition("\r\nReply-To")[0]
    assert [line.strip() for line in references.split("\r\n")] == [first, outlook]


async def test_an_id_that_ascii_cannot_write_is_left_out_not_the_mail(
    smtp: RunningSmtp,
) -> None:
    # A UTF-8 mail's Message-ID can hold any letter; a 7-bit header cannot.
    server = SmtpServer(smtp.host, smtp.port, starttls=False, timeout_seconds=10)
    thread = FixedThread(MailThread("<zoë@example.com>", "Sizing", ("<first@example.com>",)))
    await SmtpSender(server, IDENTITY, thread).send(outbound())
    header = smtp.recorder.raw[0].decode("ascii").partition("\r\n\r\n")[0]
    assert "\r\nReferences: <first@example.com>\r\n" in header
    assert "In-Reply-To" not in header and "zo" not in header


async def test_a_4xx_answer_is_retryable_and_the_retry_keeps_the_message_id(
    smtp: RunningSmtp,
) -> None:
    smtp.recorder.refuse_with.append("451 4.3.0 Mailbox busy, try later")
    with pytest.raises(DeliveryError) as refused:
        await sender(smtp).send(outbound())
    assert refused.value.retryable and "451" in refused.value.reason
    receipt = await sender(smtp).send(outbound())
    assert [str(m["Message-ID"]) for m in smtp.recorder.received] == [receipt.provider_message_id]
    assert receipt.provider_message_id == str(compose(outbound(), THREAD, IDENTITY)["Message-ID"])


async def test_a_5xx_answer_is_permanent(smtp: RunningSmtp) -> None:
    smtp.recorder.refuse_with.append("550 5.1.1 No such user")
    with pytest.raises(DeliveryError) as refused:
        await sender(smtp).send(outbound())
    assert not refused.value.retryable and "550" in refused.value.reason
    assert smtp.recorder.received == []


async def test_an_unreachable_server_is_retryable() -> None:
    server = SmtpServer("127.0.0.1", free_port(), starttls=False, timeout_seconds=5)
    with pytest.raises(DeliveryError) as refused:
        await SmtpSender(server, IDENTITY, FixedThread(None)).send(outbound())
    assert refused.value.retryable and "unreachable" in refused.value.reason


async def test_required_starttls_on_a_server_without_it_is_not_sent_in_clear(
    smtp: RunningSmtp,
) -> None:
    server = SmtpServer(smtp.host, smtp.port, starttls=True, timeout_seconds=5)
    with pytest.raises(DeliveryError) as refused:
        await SmtpSender(server, IDENTITY, FixedThread(None)).send(outbound())
    assert refused.value.retryable
    assert smtp.recorder.received == []


async def test_a_mail_that_cannot_be_written_fails_for_good(smtp: RunningSmtp) -> None:
    broken = dataclasses.replace(outbound(), address="ada@example.com\r\nBcc: eve@example.net")
    with pytest.raises(DeliveryError) as refused:
        await sender(smtp).send(broken)
    assert not refused.value.retryable and smtp.recorder.received == []
