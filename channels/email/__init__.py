"""The email channel: IMAP polling and a relay webhook in, SMTP out, threaded, no loops."""

from channels.email.authentication import SenderAuthentication, authenticate_sender
from channels.email.authentication_results import parse_authentication_results
from channels.email.check import check_imap, check_smtp
from channels.email.errors import MailboxError, UnreadableMail
from channels.email.imap import ImapAccount, MailboxReader
from channels.email.inbound import to_inbound
from channels.email.outbound import MailIdentity, MailThread, ThreadContext, compose
from channels.email.poller import MailboxPoller, Watermarks
from channels.email.routes import INBOUND_PATH, email_router
from channels.email.smtp import SmtpSender, SmtpServer

__all__ = [
    "INBOUND_PATH",
    "ImapAccount",
    "MailIdentity",
    "MailThread",
    "MailboxError",
    "MailboxPoller",
    "MailboxReader",
    "SenderAuthentication",
    "SmtpSender",
    "SmtpServer",
    "ThreadContext",
    "UnreadableMail",
    "Watermarks",
    "authenticate_sender",
    "check_imap",
    "check_smtp",
    "compose",
    "email_router",
    "parse_authentication_results",
    "to_inbound",
]
