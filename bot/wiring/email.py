"""Email wiring: the SMTP sender, the intake, the relay webhook and the IMAP poller."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from bot.channel_store.email_intake import EmailIntake
from bot.channel_store.email_store import StoredThreads, StoredWatermarks
from bot.settings import EmailSettings
from bot.singletons import LeasedWorker
from bot.wiring.parts import ChannelParts
from channels.email import (
    INBOUND_PATH,
    ImapAccount,
    MailboxPoller,
    MailIdentity,
    SmtpSender,
    SmtpServer,
    email_router,
)
from channels.ports import MessageIntake
from crm_store import Database

log = logging.getLogger(__name__)


def own_addresses(email: EmailSettings) -> frozenset[str]:
    """The support team's own addresses: mail from them is never answered."""
    found = {email.from_address, email.imap_user}
    return frozenset(a.strip().lower() for a in found if a and "@" in a)


def smtp_server(email: EmailSettings) -> SmtpServer:
    """The SMTP server and login from the settings (SMTP_HOST set)."""
    assert email.smtp_host is not None
    return SmtpServer(
        host=email.smtp_host,
        port=email.smtp_port or (465 if email.smtp_ssl else 587),
        username=email.smtp_user,
        password=email.smtp_password.get_secret_value() if email.smtp_password else None,
        starttls=email.smtp_starttls,
        ssl=email.smtp_ssl,
        timeout_seconds=email.smtp_timeout_seconds,
        ca_file=email.ca_file,
    )


def smtp_sender(
    email: EmailSettings,
    database: Database,
    unsubscribe_url: Callable[[str], str] | None = None,
) -> SmtpSender:
    """`unsubscribe_url`: the recipient's signed unsubscribe link (bot/api/unsubscribe.py),
    put in every mail's List-Unsubscribe; None where the server has no public URL."""
    assert email.from_address is not None
    server = smtp_server(email)
    identity = MailIdentity(
        email.from_address, email.from_name, email.reply_to_token, unsubscribe_url
    )
    return SmtpSender(server, identity, StoredThreads(database))


def email_intake(
    email: EmailSettings,
    engine: MessageIntake,
    database: Database,
    handoff_opened: Callable[[int], Awaitable[None]] | None = None,
) -> EmailIntake:
    if not email.smtp_enabled and (email.imap_enabled or email.inbound_token is not None):
        log.warning(
            "mail comes in but SWITCHBOARD_EMAIL__SMTP_HOST is not set: "
            "the bot's answers will be logged and marked failed, not sent"
        )
    return EmailIntake(
        engine,
        database,
        max_replies_per_hour=email.max_replies_per_hour,
        unverified_replies_per_hour=email.unverified_replies_per_hour,
        handoff_opened=handoff_opened,
    )


def imap_account(email: EmailSettings) -> ImapAccount:
    """The IMAP account polled, from the settings (IMAP_HOST set)."""
    assert email.imap_host and email.imap_user and email.imap_password
    return ImapAccount(
        host=email.imap_host,
        port=email.imap_port or (993 if email.imap_tls else 143),
        user=email.imap_user,
        password=email.imap_password.get_secret_value(),
        folder=email.imap_folder,
        tls=email.imap_tls,
        ca_file=email.ca_file,
    )


def mailbox_poller(
    email: EmailSettings, intake: MessageIntake, database: Database
) -> MailboxPoller:
    return MailboxPoller(
        imap_account(email),
        intake,
        StoredWatermarks(database),
        own_addresses=own_addresses(email),
        trusted_authserv_ids=email.trusted_receivers,
        max_bytes=email.max_message_bytes,
        interval_seconds=email.imap_poll_seconds,
        max_mime_depth=email.max_mime_depth,
    )


def email_parts(
    email: EmailSettings, intake: EmailIntake | None, poller: LeasedWorker | None
) -> ChannelParts:
    """The relay webhook (with an inbound token) and the IMAP poller (with an IMAP host),
    which runs in one process at a time (its lease)."""
    if intake is None:
        return ChannelParts("email", "email is off: set SWITCHBOARD_EMAIL__FROM_ADDRESS")
    parts = ChannelParts("email", "email is on")
    ways = []
    if email.inbound_token is not None:
        parts.routers.append(
            email_router(
                intake=intake,
                token=email.inbound_token.get_secret_value(),
                own_addresses=own_addresses(email),
                max_mime_depth=email.max_mime_depth,
                trusted_authserv_ids=email.trusted_receivers,
            )
        )
        ways.append(f"relay webhook at {INBOUND_PATH}")
    if poller is not None:
        parts.workers["mail-poller"] = poller
        ways.append(f"IMAP {email.imap_user}@{email.imap_host}")
    ways.append(f"SMTP {email.smtp_host}" if email.smtp_enabled else "no SMTP: answers not sent")
    parts.status += ": " + ", ".join(ways)
    return parts
