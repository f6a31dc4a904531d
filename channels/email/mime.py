"""A raw RFC 5322 message read with the standard library (`email`, policy default).

text/plain is preferred, HTML converted to text, charsets decoded (an unknown one read
as UTF-8 with replacement characters). Attachments are recorded by name, type and size;
their content is neither kept nor opened.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.headerregistry import Address
from email.message import EmailMessage, Message
from email.utils import getaddresses, parseaddr

from channels.email.errors import UnreadableMail
from channels.email.html_text import html_to_text
from channels.email.message_ids import ids_in
from channels.email.mime_depth import MAX_MIME_DEPTH, mime_depth

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


def read_mail(raw: bytes, *, max_depth: int = MAX_MIME_DEPTH) -> ParsedMail:
    """Parse one message; `UnreadableMail` when it has no usable From address, or when
    its MIME parts nest deeper than `max_depth` (refused before parsing: see mime_depth)."""
    if not raw.strip():
        raise UnreadableMail("the message is empty")
    if mime_depth(raw, limit=max_depth) > max_depth:
        raise UnreadableMail(f"its MIME parts are nested more than {max_depth} levels deep")
    try:
        message = message_from_bytes(raw, policy=policy.default)
    except RecursionError:  # a nesting the scan did not see: still refused, never a crash
        raise UnreadableMail("its MIME parts are nested too deeply to read") from None
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
        attachments=tuple(_attachments(message)),
    )


# The standard library's header parsers raise on some malformed headers (IndexError,
# AttributeError...) instead of recording a defect. Mail is untrusted input, so every
# parsed read below falls back to the raw header text when parsing fails.


def _raw_header(message: Message, name: str) -> str | None:
    for key, value in message.raw_items():
        if key.lower() == name.lower():
            return _clean(re.sub(r"\r?\n[ \t]*", " ", str(value)))
    return None


def _header(message: Message, name: str) -> str | None:
    try:
        value = message.get(name)
    except Exception:
        return _raw_header(message, name)
    return None if value is None else str(value)


def _sender(message: EmailMessage) -> tuple[str, str | None]:
    try:
        addresses: tuple[Address, ...] = tuple(getattr(message["From"], "addresses", ()))
        first = addresses[0] if addresses else None
        if first is not None and "@" in first.addr_spec:
            return first.addr_spec.strip().lower(), _clean(first.display_name) or None
    except Exception:
        pass
    name, address = parseaddr(_raw_header(message, "From") or "")
    if "@" not in address or any(c in address for c in "\r\n \t<>"):
        raise UnreadableMail("the message has no From address")
    return address.strip().lower(), _clean(name) or None


def _recipients(message: EmailMessage) -> tuple[str, ...]:
    values = [
        str(value)
        for key, value in message.raw_items()
        if key.lower() in ("to", "cc", "delivered-to", "x-original-to", "envelope-to")
    ]
    try:
        pairs = getaddresses(values)
    except Exception:
        return ()
    return tuple(address.lower() for _, address in pairs if "@" in address)


def _body_part(message: EmailMessage) -> EmailMessage | None:
    part = message.get_body(preferencelist=("plain", "html"))
    return part if isinstance(part, EmailMessage) else None


def _body(message: EmailMessage) -> str:
    try:
        part = _body_part(message)
    except Exception:  # a malformed MIME structure: read what there is as text
        part = None if message.is_multipart() else message
    if part is None:
        return ""
    text = _decode(part).replace("\r\n", "\n")
    return html_to_text(text) if part.get_content_subtype() == "html" else text


def _decode(part: EmailMessage) -> str:
    try:
        content = part.get_content()
    except Exception:  # unknown charset, bad encoding: decoded below as UTF-8
        content = None
    if isinstance(content, str):
        return content
    payload = part.get_payload(decode=True)
    return payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""


def _attachments(message: EmailMessage) -> list[Attachment]:
    try:
        body_part = _body_part(message)
        found = []
        for part in message.walk():
            if part.is_multipart() or part is body_part or part is message:
                continue
            filename = part.get_filename()
            if part.get_content_disposition() != "attachment" and not filename:
                continue
            payload = part.get_payload(decode=True)
            size = len(payload) if isinstance(payload, bytes) else 0
            name = _clean(filename) if filename else None
            found.append(Attachment(name, part.get_content_type(), size))
        return found
    except Exception:  # a malformed MIME structure: no list rather than no mail
        return []


def _clean(text: str | None) -> str:
    """Text a database can keep: no NUL characters (PostgreSQL refuses them), no lone
    surrogates (left by undecodable 8-bit bytes)."""
    return (text or "").replace("\x00", "").encode("utf-8", "replace").decode("utf-8")
