"""What an inbound message's answer needs besides the history, kept on its receipt.

An adapter can decide part of the answer before the engine sees the message (an SMS
STOP's preset confirmation, a note before the answer, no reply at all). The intake keeps
those decisions on the receipt, so that a stranded message is answered later exactly as
the adapter's own request would have answered it (bot/conversation/stranded.py).
"""

from __future__ import annotations

from typing import Any

from channels.messages import Channel, InboundMessage
from crm_store.stranded import StrandedMessage

__all__ = ["inbound_again", "reply_hints"]


def reply_hints(message: InboundMessage) -> dict[str, Any]:
    """The adapter's decisions about the reply, as JSON (empty when it made none)."""
    hints: dict[str, Any] = {}
    if message.preset_reply is not None:
        hints["preset_reply"] = message.preset_reply
        hints["preset_reply_attributes"] = dict(message.preset_reply_attributes)
    if message.reply_note is not None:
        hints["reply_note"] = message.reply_note
    if message.no_reply_reason is not None:
        hints["no_reply_reason"] = message.no_reply_reason
    return hints


def inbound_again(stranded: StrandedMessage) -> InboundMessage:
    """The message as a provider retry would bring it again: same channel, address, id
    and text, and the adapter's decisions about the reply."""
    if stranded.address is None:
        raise ValueError(f"receipt {stranded.id} has no address to answer")
    hints = stranded.reply_hints
    return InboundMessage(
        channel=Channel(stranded.channel),
        address=stranded.address,
        provider_message_id=stranded.provider_message_id,
        text=stranded.text,
        preset_reply=hints.get("preset_reply"),
        preset_reply_attributes=dict(hints.get("preset_reply_attributes") or {}),
        reply_note=hints.get("reply_note"),
        no_reply_reason=hints.get("no_reply_reason"),
    )
