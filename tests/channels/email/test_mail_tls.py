"""TLS, the default: IMAPS against Dovecot and SMTP with STARTTLS or implicit TLS against
aiosmtpd, each verifying a certificate given by `ca_file`; without it they refuse."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from channels.email import ImapAccount, MailboxError, MailboxReader, SmtpSender, SmtpServer
from channels.email.outbound import MailIdentity
from channels.errors import DeliveryError
from channels.messages import Channel, OutboundMessage
from tests.support.mail import mail
from tests.support.mail_servers import Dovecot, TlsFiles
from tests.support.mail_servers import SmtpServer as RunningSmtp

IDENTITY = MailIdentity("support@acme.test", "Acme Support")


class NoThread:
    async def thread_of(self, message: OutboundMessage) -> None:
        return None


def outbound() -> OutboundMessage:
    return OutboundMessage(
        outbox_id=5, interaction_id=5, conversation_id=1, seq=2, channel=Channel.EMAIL,
        address="ada@example.com", author="bot", text="Over TLS.",
        created_at=datetime(2026, 3, 2, tzinfo=UTC),
    )  # fmt: skip


def test_imap_over_tls_reads_the_mailbox(dovecot_tls: Dovecot, tls_files: TlsFiles) -> None:
    account = ImapAccount(
        dovecot_tls.host, dovecot_tls.port, dovecot_tls.user, dovecot_tls.password,
        tls=True, ca_file=str(tls_files.cert),
    )  # fmt: skip
    with MailboxReader(account) as reader:
        before = reader.uids_after(0)
    append_over_tls(dovecot_tls, tls_files)
    with MailboxReader(account) as reader:
        uids = reader.uids_after(max(before, default=0))
        fetched = reader.fetch(uids[0], max_bytes=1_000_000)
    assert len(uids) == 1 and b"Subject: over TLS" in fetched.raw


def test_imap_over_tls_refuses_an_unknown_certificate(dovecot_tls: Dovecot) -> None:
    account = ImapAccount(
        dovecot_tls.host, dovecot_tls.port, dovecot_tls.user, dovecot_tls.password, tls=True
    )
    with pytest.raises(MailboxError, match="CERTIFICATE_VERIFY_FAILED"), MailboxReader(account):
        pass


async def test_smtp_with_starttls(smtp_starttls: RunningSmtp, tls_files: TlsFiles) -> None:
    smtp_starttls.recorder.received.clear()
    server = SmtpServer(smtp_starttls.host, smtp_starttls.port, starttls=True,
                        ca_file=str(tls_files.cert), timeout_seconds=10)  # fmt: skip
    await SmtpSender(server, IDENTITY, NoThread()).send(outbound())
    assert [m["Subject"] for m in smtp_starttls.recorder.received] == [
        "Your message to our support team"
    ]


async def test_smtp_without_tls_is_refused_by_a_server_that_requires_it(
    smtp_starttls: RunningSmtp,
) -> None:
    smtp_starttls.recorder.received.clear()
    server = SmtpServer(smtp_starttls.host, smtp_starttls.port, starttls=False, timeout_seconds=10)
    with pytest.raises(DeliveryError) as refused:
        await SmtpSender(server, IDENTITY, NoThread()).send(outbound())
    assert "530" in refused.value.reason and not refused.value.retryable
    assert smtp_starttls.recorder.received == []


async def test_smtp_with_implicit_tls(smtp_implicit_tls: RunningSmtp, tls_files: TlsFiles) -> None:
    smtp_implicit_tls.recorder.received.clear()
    server = SmtpServer(smtp_implicit_tls.host, smtp_implicit_tls.port, ssl=True,
                        ca_file=str(tls_files.cert), timeout_seconds=10)  # fmt: skip
    await SmtpSender(server, IDENTITY, NoThread()).send(outbound())
    assert len(smtp_implicit_tls.recorder.received) == 1


async def test_smtp_tls_refuses_an_unknown_certificate(smtp_implicit_tls: RunningSmtp) -> None:
    server = SmtpServer(
        smtp_implicit_tls.host, smtp_implicit_tls.port, ssl=True, timeout_seconds=10
    )
    with pytest.raises(DeliveryError) as refused:
        await SmtpSender(server, IDENTITY, NoThread()).send(outbound())
    assert refused.value.retryable


def append_over_tls(dovecot_tls: Dovecot, tls_files: TlsFiles) -> None:
    import imaplib
    import ssl

    context = ssl.create_default_context(cafile=str(tls_files.cert))
    with imaplib.IMAP4_SSL(dovecot_tls.host, dovecot_tls.port, ssl_context=context) as conn:
        conn.login(dovecot_tls.user, dovecot_tls.password)
        status, _ = conn.append("INBOX", None, None, mail("hi", subject="over TLS").as_bytes())
        assert status == "OK"
