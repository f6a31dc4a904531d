"""Delivery to the web widget: wake the session's live sockets, in whichever process.

The message is already in the conversation store, so "delivered" here means the live
sockets were told to read it (channels/web/hub.py); a visitor who is away reads it on
reconnect.
"""

from __future__ import annotations

from channels.messages import Channel, OutboundMessage, SendReceipt
from channels.web.hub import SessionHub


class WebChatSender:
    channel = Channel.WEB

    def __init__(self, hub: SessionHub) -> None:
        self._hub = hub

    async def send(self, message: OutboundMessage) -> SendReceipt:
        self._hub.new_messages(message.address)
        return SendReceipt(provider_message_id=f"web-{message.interaction_id}")
