"""Message-IDs: reading them from headers, making the bot's own, and reply tokens.

The bot's Message-ID is made from the outbox row (its id and the time it was logged) and
the sending domain, so a retried send carries the same Message-ID and the customer's
mail program sees one message. The reply token is that Message-ID's left part, put in
the Reply-To address (`support+<token>@domain`): a reply whose mail program dropped
In-Reply-To and References still finds its conversation.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from datetime import datetime

_MESSAGE_ID = re.compile(r"<([^<>\s]+)>")
_TOKEN = re.compile(r"^sb-[0-9]+-[0-9a-z]+$")
# The store keeps provider ids up to 200 characters; longer Message-IDs are hashed.
MAX_PROVIDER_ID = 200


def provider_id(message_id: str) -> str:
    """The id the store keeps for a Message-ID: `<left@right>`, hashed when too long."""
    if len(message_id) <= MAX_PROVIDER_ID:
        return message_id
    return "<sha256." + hashlib.sha256(message_id.encode("utf-8", "replace")).hexdigest() + ">"


def ids_in(header_value: str | None) -> list[str]:
    """The Message-IDs in a Message-ID, In-Reply-To or References header, in order."""
    if not header_value:
        return []
    return [provider_id(f"<{found}>") for found in _MESSAGE_ID.findall(str(header_value))]


def outbound_message_id(outbox_id: int, logged_at: datetime, domain: str) -> str:
    """The bot's Message-ID for one outbox row: the same on every retry of that row.

    The logging time (milliseconds, base 36) keeps ids of two databases that share a
    domain (staging and production) apart.
    """
    millis = int(logged_at.timestamp() * 1000)
    return f"<sb-{outbox_id}-{_base36(millis)}@{domain}>"


def reply_token(message_id: str) -> str:
    """The token for the Reply-To address: the Message-ID's left part."""
    return message_id.strip("<>").split("@", 1)[0]


def ids_from_tokens(addresses: Iterable[str]) -> list[str]:
    """Message-IDs named by reply tokens in recipient addresses (`local+token@domain`)."""
    found = []
    for address in addresses:
        local, _, domain = address.rpartition("@")
        _, plus, token = local.partition("+")
        if plus and domain and _TOKEN.match(token.lower()):
            found.append(f"<{token.lower()}@{domain.lower()}>")
    return found


def domain_of(address: str) -> str:
    return address.rpartition("@")[2].lower()


def _base36(number: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    text = ""
    while True:
        number, rest = divmod(number, 36)
        text = digits[rest] + text
        if number == 0:
            return text
