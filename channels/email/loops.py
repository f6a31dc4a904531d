"""Mail that must get no automatic reply (RFC 3834), so the bot never feeds a mail loop.

Out-of-office answers, bounces, mailing lists and bulk mail are logged, not answered.
"""

from __future__ import annotations

import re
from email.message import Message

_AUTOMATED_SENDERS = re.compile(
    r"^(mailer-daemon|postmaster|no-?reply|do-?not-?reply|donotreply|bounces?|auto-?reply"
    r"|autoresponder)([+._-].*)?$",
    re.IGNORECASE,
)
_BULK_PRECEDENCE = frozenset({"bulk", "junk", "list"})
# Auto-replies from programs that set none of the headers above still say so up front.
_AUTO_REPLY_SUBJECT = re.compile(
    r"^\s*(automatic reply|auto-?reply|out of (the )?office|abwesenheitsnotiz"
    r"|automatische antwort|r[ée]ponse automatique|absence du bureau)\b",
    re.IGNORECASE,
)


def _header(message: Message, name: str) -> str | None:
    value = message.get(name)
    return None if value is None else str(value).strip()


def automatic_reason(message: Message, sender: str, own_addresses: frozenset[str]) -> str | None:
    """Why this mail must not be answered automatically, or None when it may be."""
    auto_submitted = _header(message, "Auto-Submitted")
    if auto_submitted is not None:
        keyword = re.split(r"[\s;(]", auto_submitted, maxsplit=1)[0].lower()
        if keyword and keyword != "no":
            return f"auto-submitted: {keyword}"
    precedence = (_header(message, "Precedence") or "").lower()
    if precedence in _BULK_PRECEDENCE:
        return f"precedence: {precedence}"
    if _header(message, "List-Id") is not None or _header(message, "List-Unsubscribe"):
        return "mailing list"
    return_path = _header(message, "Return-Path")
    if return_path is not None and return_path.replace(" ", "") in ("<>", ""):
        return "empty return path (a bounce)"
    if _header(message, "X-Autoreply") or _header(message, "X-Autorespond"):
        return "auto-reply header"
    if _AUTO_REPLY_SUBJECT.match(_header(message, "Subject") or ""):
        return "auto-reply subject"
    local = sender.rpartition("@")[0]
    if _AUTOMATED_SENDERS.match(local):
        return f"automated sender: {local.lower()}"
    if sender.lower() in own_addresses:
        return "sent from the support address itself"
    return None
