"""The files a customer's message brought, as the agent desk shows them.

Each channel keeps them on the inbound interaction in its own shape: SMS its MMS media
(`media`: URL and content type, a link Twilio serves), mail the attachments' names,
types and sizes (`email.attachments`; the contents stay in the support mailbox). A
picture sent during a handoff reached the agent as an empty "Customer:" line before.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from channels.handoff import SentFile

__all__ = ["sent_files"]


def sent_files(attributes: Mapping[str, Any]) -> tuple[SentFile, ...]:
    files = [_media(item) for item in attributes.get("media") or [] if isinstance(item, dict)]
    mail = attributes.get("email") or {}
    files += [_attachment(item) for item in mail.get("attachments") or [] if isinstance(item, dict)]
    return tuple(files)


def _media(item: Mapping[str, Any]) -> SentFile:
    kind = str(item.get("content_type") or "file")
    label = f"picture ({kind})" if kind.startswith("image/") else kind
    url = str(item.get("url") or "")
    return SentFile(label, url if url.startswith("https://") else None)


def _attachment(item: Mapping[str, Any]) -> SentFile:
    name = item.get("filename") or "unnamed attachment"
    kind = item.get("content_type") or "unknown type"
    return SentFile(f"{name} ({kind}), in the support mailbox")
