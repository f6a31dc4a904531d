"""A raw RFC 5322 message read with the standard library (`email`, policy default).

text/plain is preferred, HTML converted to text, charsets decoded (an unknown one read
as UTF-8 with replacement characters). Attachments are recorded by name, type and size;
their content is neither kept nor opened.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.headerregistry import Address
from email.message import EmailMessage, Message
from email.utils import getaddresses, parseaddr

from channels.email.errors import UnreadableMail
from channels.email.html_text import html_to_text
from channels.email.message_ids import ids_in

MAX_TEXT = 100_000  # characters of body text kept; beyond that the text is cut
MAX_ADDRESS = 254  # RFC 5321's limit on a forward path
MAX_NAME = 200  # what the store keeps of a display name


@dataclass(frozen=True, slots=True)
class Attachment:
    filename: str | None
    content_type: str
    size: int

    def to_json(self) -> dict[str, object]:
        return {"filename": self.filename, "content_type": self.content_type, "size": self.size}


@dataclass(frozen=True, slots=True)
class ParsedMail:
    message: EmailMessage
    message_id: str  # the store's provider id: the Message-ID, or a hash of the raw mail
    sender: str  # the From address, lower-case
    sender_name: str | None
    subject: str
    text: str
    in_reply_to: tuple[str, ...]
    references: tuple[str, ...]
    recipients: tuple[str, ...]
    attachments: tuple[Attachment, ...]


def read_mail(raw: bytes) -> ParsedMail:
    """Parse one message; `UnreadableMail` when it has no usable From address."""
    if not raw.strip():
        raise UnreadableMail("the message is empty")
    message = message_from_bytes(raw, policy=policy.default)
    assert isinstance(message, EmailMessage)
    sender, sender_name = _sender(message)
    if len(sender) > MAX_ADDRESS:
        raise UnreadableMail(f"the From address is longer than {MAX_ADDRESS} characters")
    ids = ids_in(_header(message, "Message-ID"))
    message_id = ids[0] if ids else "<sha256." + hashlib.sha256(raw).hexdigest() + ">"
    body = _body(message)
    return ParsedMail(
        message=message,
        message_id=message_id,
        sender=sender,
        sender_name=sender_name[:MAX_NAME] if sender_name else None,
        subject=_clean(_header(message, "Subject") or "").strip(),
        text=_clean(body)[:MAX_TEXT],
        in_reply_to=tuple(ids_in(_header(message, "In-Reply-To"))),
        references=tuple(ids_in(_header(message, "References"))),
        recipients=_recipients(message),
        attachments=tuple(_attachments(message, body_part=_body_part(message))),
    )


def _header(message: Message, name: str) -> str | None:
    try:
        value = message.get(name)
    except (ValueError, IndexError, TypeError):  # a header the parser cannot make sense of
        value = message.get_all(name, failobj=[None])[0] if hasattr(message, "get_all") else None
    return None if value is None else str(value)


def _sender(message: EmailMessage) -> tuple[str, str | None]:
    try:
        header = message["From"]
        addresses: tuple[Address, ...] = getattr(header, "addresses", ())
    except (ValueError, IndexError, TypeError):
        addresses = ()
    if addresses and addresses[0].addr_spec and "@" in addresses[0].addr_spec:
        first = addresses[0]
        return first.addr_spec.strip().lower(), _clean(first.display_name) or None
    name, address = parseaddr(_header(message, "From") or "")
    if "@" not in address:
        raise UnreadableMail("the message has no From address")
    return address.strip().lower(), _clean(name) or None


def _recipients(message: EmailMessage) -> tuple[str, ...]:
    values = []
    for name in ("To", "Cc", "Delivered-To", "X-Original-To", "Envelope-To"):
        values.extend(str(value) for value in message.get_all(name, []))
    return tuple(address.lower() for _, address in getaddresses(values) if "@" in address)


def _body_part(message: EmailMessage) -> EmailMessage | None:
    part = message.get_body(preferencelist=("plain", "html"))
    return part if isinstance(part, EmailMessage) else None


def _body(message: EmailMessage) -> str:
    part = _body_part(message)
    if part is None:
        return ""
    text = _decode(part).replace("\r\n", "\n")
    return html_to_text(text) if part.get_content_subtype() == "html" else text


def _decode(part: EmailMessage) -> str:
    try:
        content = part.get_content()
    except (LookupError, UnicodeError, ValueError, AssertionError):
        content = None
    if isinstance(content, str):
        return content
    payload = part.get_payload(decode=True)
    return payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""


def _attachments(message: EmailMessage, *, body_part: EmailMessage | None) -> list[Attachment]:
    found = []
    for part in message.walk():
        if part.is_multipart() or part is body_part or (part is message and body_part is not None):
            continue
        filename = part.get_filename()
        if part.get_content_disposition() != "attachment" and not filename:
            continue
        payload = part.get_payload(decode=True)
        size = len(payload) if isinstance(payload, bytes) else 0
        found.append(
            Attachment(_clean(filename) if filename else None, part.get_content_type(), size)
        )
    return found


def _clean(text: str | None) -> str:
    """Text a database can keep: no NUL characters (PostgreSQL refuses them), no lone
    surrogates (left by undecodable 8-bit bytes)."""
    return (text or "").replace("\x00", "").encode("utf-8", "replace").decode("utf-8")
