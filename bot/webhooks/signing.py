"""Signatures per the Standard Webhooks specification (standardwebhooks.com).

A secret is `whsec_` + base64 of random bytes; the key is the decoded bytes. Each try
carries `webhook-id` (the event's id, the same on every try and replay, so a receiver
can drop repeats), `webhook-timestamp` (Unix seconds of this try) and
`webhook-signature`: `v1,` + base64 of HMAC-SHA256 over `id.timestamp.body`."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

PREFIX = "whsec_"
SECRET_BYTES = 24

__all__ = ["new_secret", "signature_headers"]


def new_secret() -> str:
    """A fresh signing secret, shown once to whoever creates the subscription."""
    return PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def _key(secret: str) -> bytes:
    return base64.b64decode(secret.removeprefix(PREFIX))


def signature_headers(secret: str, event_id: str, timestamp: int, body: str) -> dict[str, str]:
    """The three headers of one try."""
    signed = f"{event_id}.{timestamp}.{body}".encode()
    digest = hmac.new(_key(secret), signed, hashlib.sha256).digest()
    return {
        "webhook-id": event_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": "v1," + base64.b64encode(digest).decode(),
    }
