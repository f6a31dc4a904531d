"""What channel adapters need from the application, as protocols `bot` implements."""

from __future__ import annotations

from typing import Protocol

from channels.messages import (
    Channel,
    ConversationMessage,
    InboundMessage,
    IntakeResult,
    OutboundMessage,
    SendReceipt,
)


class MessageIntake(Protocol):
    """Takes an inbound message: records it once, answers it, returns what happened."""

    async def receive(self, message: InboundMessage) -> IntakeResult: ...


class ConversationFeed(Protocol):
    """Reads back the conversation of one channel address, for replay after reconnects."""

    async def messages_after(
        self, channel: Channel, address: str, after_seq: int
    ) -> tuple[int | None, list[ConversationMessage]]: ...


class ChannelSender(Protocol):
    """Hands one outbound message to a provider. Raises `DeliveryError` on failure."""

    channel: Channel

    async def send(self, message: OutboundMessage) -> SendReceipt: ...
