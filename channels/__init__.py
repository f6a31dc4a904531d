"""Channel adapters: each turns a provider's request into an `InboundMessage` and an
`OutboundMessage` into a provider call. This package owns the message types."""

from channels.errors import ChannelError, DeliveryError, InvalidSession
from channels.messages import (
    Channel,
    ContactProfile,
    ConversationMessage,
    InboundMessage,
    IntakeResult,
    OutboundMessage,
    SendReceipt,
)
from channels.ports import ChannelSender, ConversationFeed, MessageIntake

__all__ = [
    "Channel",
    "ChannelError",
    "ChannelSender",
    "ContactProfile",
    "ConversationFeed",
    "ConversationMessage",
    "DeliveryError",
    "InboundMessage",
    "IntakeResult",
    "InvalidSession",
    "MessageIntake",
    "OutboundMessage",
    "SendReceipt",
]
