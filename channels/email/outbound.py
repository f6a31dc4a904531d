"""An `OutboundMessage` -> a MIME mail: threading headers, plain text and simple HTML
(replies are short Markdown; channels.rendering turns them into both).

Bot replies carry `Auto-Submitted: auto-replied` (RFC 3834) and ask Exchange not to
auto-answer them; system notices (an agent joined, the conversation was resolved, a
verification code) answer no mail and carry `Auto-Submitted: auto-generated`; an agent's
reply is a person writing and carries neither. Every mail carries the recipient's
unsubscribe link where bot/ hands one in (`MailIdentity.unsubscribe_url`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime, formataddr
from typing import Protocol

from channels.email.header_folding import MAIL_POLICY
from channels.email.message_ids import domain_of, outbound_message_id, reply_token
from channels.messages import OutboundMessage
from channels.rendering.mail import render_mail

MAX_REFERENCES = 20
DEFAULT_SUBJECT = "Your message to our support team"
# RFC 3834's Auto-Submitted value by author; a person's mail ("agent") carries none.
AUTOMATIC = {"bot": "auto-replied", "system": "auto-generated"}


@dataclass(frozen=True, slots=True)
class MailThread:
    """The customer's mail a reply answers: its Message-ID, subject and References.
    `subject` is "" where the reply must not repeat it (mail from a sender nobody
    vouched for): the reply then carries the bot's own subject."""

    message_id: str | None
    subject: str
    references: tuple[str, ...] = ()


class ThreadContext(Protocol):
    """Finds the mail an outbound message answers (the store knows; `bot` implements)."""

    async def thread_of(self, message: OutboundMessage) -> MailThread | None: ...


@dataclass(frozen=True, slots=True)
class MailIdentity:
    """Who the bot's mail is from, and whether replies carry a token in Reply-To."""

    address: str
    name: str | None = None
    reply_token: bool = True
    # The recipient's address -> their sealed unsubscribe URL (List-Unsubscribe, RFC
    # 8058 one-click); None: the mail carries no unsubscribe link.
    unsubscribe_url: Callable[[str], str] | None = None


def compose(
    message: OutboundMessage, thread: MailThread | None, identity: MailIdentity
) -> EmailMessage:
    domain = domain_of(identity.address)
    message_id = outbound_message_id(message.outbox_id, message.created_at, domain)
    mail = EmailMessage(policy=MAIL_POLICY)  # ids and links never encoded: header_folding
    mail["From"] = formataddr((identity.name or "", identity.address))
    mail["To"] = message.address
    # A campaign mail has a subject of its own (attributes["subject"]); replies say "Re:".
    own_subject = message.attributes.get("subject")
    mail["Subject"] = (
        str(own_subject) if own_subject else reply_subject(thread.subject if thread else "")
    )
    mail["Date"] = format_datetime(message.created_at)
    mail["Message-ID"] = message_id
    if thread is not None and thread.message_id:
        mail["In-Reply-To"] = thread.message_id
        references = [*thread.references, thread.message_id][-MAX_REFERENCES:]
        mail["References"] = " ".join(dict.fromkeys(references))
    if identity.reply_token:
        local, _, _ = identity.address.rpartition("@")
        mail["Reply-To"] = formataddr(
            (identity.name or "", f"{local}+{reply_token(message_id)}@{domain}")
        )
    # A campaign mail brings its own single-use link (attributes["unsubscribe_url"]).
    unsubscribe = message.attributes.get("unsubscribe_url")
    if unsubscribe is None and identity.unsubscribe_url is not None:
        unsubscribe = identity.unsubscribe_url(message.address)
    if unsubscribe is not None:
        mail["List-Unsubscribe"] = f"<{unsubscribe}>"
        mail["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    automatic = AUTOMATIC.get(message.author)
    if automatic is not None:
        mail["Auto-Submitted"] = automatic
        mail["X-Auto-Response-Suppress"] = "All"
    body = render_mail(message.text)
    mail.set_content(body.text)
    mail.add_alternative(body.html, subtype="html")
    return mail


def reply_subject(subject: str) -> str:
    subject = " ".join(subject.split())
    if not subject:
        return DEFAULT_SUBJECT
    return subject if subject.lower().startswith("re:") else f"Re: {subject}"
