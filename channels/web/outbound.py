"""Delivery to the web widget: push to the session's live sockets.

The message is already in the conversation store, so "delivered" here means handed to
the live sockets if there are any; a visitor who is away reads it on reconnect.
"""

from __future__ import annotations

from channels.messages import (
    Channel,
    ConversationMessage,
    OutboundMessage,
    SendReceipt,
    quick_replies,
)
from channels.web.hub import SessionHub


class WebChatSender:
    channel = Channel.WEB

    def __init__(self, hub: SessionHub) -> None:
        self._hub = hub

    async def send(self, message: OutboundMessage) -> SendReceipt:
        view = ConversationMessage(
            conversation_id=message.conversation_id,
            seq=message.seq,
            direction="out",
            author=message.author,
            text=message.text,
            created_at=message.created_at,
            choices=quick_replies(message.attributes),
        )
        self._hub.publish(message.address, {"type": "message", **view.to_json()})
        return SendReceipt(provider_message_id=f"web-{message.interaction_id}")
