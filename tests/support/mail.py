"""Mail for the email tests: messages built as a mail client writes them, put in an IMAP
folder as a delivery agent would, and their flags read back."""

from __future__ import annotations

import imaplib
from email.message import EmailMessage
from email.utils import make_msgid

from bot.settings import EmailSettings
from tests.support.mail_servers import Dovecot, SmtpServer

# The relay webhook's token and the receiving server whose Authentication-Results count.
TOKEN = "relay-token-for-tests-0123456789abcdef"
RECEIVER = "mx.acme.test"


def imap_session(dovecot: Dovecot) -> imaplib.IMAP4:
    conn = imaplib.IMAP4(dovecot.host, dovecot.port)
    conn.login(dovecot.user, dovecot.password)
    return conn


def append(dovecot: Dovecot, folder: str, mail: EmailMessage | bytes) -> None:
    """Put a mail in the folder the way a delivery agent would (IMAP APPEND)."""
    raw = mail if isinstance(mail, bytes) else mail.as_bytes()
    with imap_session(dovecot) as conn:
        status, data = conn.append(folder, None, None, raw)
        assert status == "OK", data


def flags(dovecot: Dovecot, folder: str) -> list[bytes]:
    """The FLAGS of every message in the folder (read-only)."""
    with imap_session(dovecot) as conn:
        conn.select(folder, readonly=True)
        status, data = conn.fetch("1:*", "(FLAGS)")
        assert status == "OK"
        return [item for item in data if isinstance(item, bytes)]


def mail(
    text: str,
    *,
    sender: str = "Ada Lovelace <ada@example.com>",
    to: str = "Acme Support <support@acme.test>",
    subject: str = "Refunds",
    message_id: str | None = None,
    in_reply_to: str | None = None,
    references: str | None = None,
    headers: dict[str, str] | None = None,
    authenticated_by: str | None = None,
) -> EmailMessage:
    """A mail as it reaches the mailbox. `authenticated_by`: the authserv-id of a
    receiver that checked the sender and found DMARC passing (its Authentication-Results
    header on top, as a receiver adds it)."""
    message = EmailMessage()
    if authenticated_by is not None:
        message["Authentication-Results"] = dmarc_pass(authenticated_by, sender)
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = message_id or make_msgid(domain="example.com")
    if in_reply_to:
        message["In-Reply-To"] = in_reply_to
    if references:
        message["References"] = references
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(text)
    return message


def dmarc_pass(authserv_id: str, sender: str) -> str:
    """An Authentication-Results payload saying the sender's domain passed DKIM and DMARC."""
    domain = sender.rpartition("@")[2].rstrip(">").strip().lower()
    return (
        f"{authserv_id}; dkim=pass header.d={domain} header.s=s1; "
        f"spf=pass smtp.mailfrom={domain}; dmarc=pass (p=REJECT) header.from={domain}"
    )


def email_settings(
    dovecot: Dovecot, folder: str, smtp: SmtpServer, **extra: object
) -> EmailSettings:
    """The email channel on the tests' Dovecot folder and SMTP server, trusting RECEIVER."""
    return EmailSettings(
        imap_host=dovecot.host,
        imap_port=dovecot.port,
        imap_user=dovecot.user,
        imap_password=dovecot.password,
        imap_folder=folder,
        imap_tls=False,
        imap_poll_seconds=3600,
        smtp_host=smtp.host,
        smtp_port=smtp.port,
        smtp_starttls=False,
        from_address="support@acme.test",
        from_name="Acme Support",
        inbound_token=TOKEN,
        **{"trusted_authserv_ids": RECEIVER, **extra},  # type: ignore[arg-type]
    )
