"""What channel adapters need from the application, as protocols `bot` implements."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

from channels.handoff import ClaimResult, CustomerUpdate, HandoffPacket
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


@runtime_checkable
class SentLookup(Protocol):
    """A sender that can ask its provider what it already took. A send whose process died
    after the provider accepted it is looked for before it is sent again (fewer
    duplicates after a crash); senders without a way to ask do not implement this."""

    async def find_sent(self, message: OutboundMessage, since: datetime) -> list[SendReceipt]:
        """Messages the provider took since `since` to this message's recipient with its
        text, oldest first (empty: not taken, or the provider cannot say)."""
        ...


class AgentDesk(Protocol):
    """Where people take over conversations (Slack). The bot tells it what happens;
    implementations must not raise for a provider outage (queue and retry instead)."""

    async def handoff_opened(self, packet: HandoffPacket) -> None: ...

    async def customer_wrote(self, update: CustomerUpdate) -> None: ...

    async def handoff_claimed(self, handoff_id: int, staff_name: str | None) -> None:
        """A person took the conversation (from the desk or through the staff API)."""
        ...

    async def handoff_closed(
        self, handoff_id: int, outcome: str, staff_name: str | None
    ) -> None: ...

    async def agent_replied(self, handoff_id: int, staff_name: str | None, text: str) -> None:
        """An agent answered the customer from outside the desk (the staff API): the
        desk shows it where its agents look (the Slack thread), so nobody answers twice."""

    async def delivery_failed(self, handoff_id: int, notice: str) -> None:
        """A message in a handoff did not reach the customer (an agent's reply, or the
        bot's or the system's words while the conversation is with a person): tell the
        agents why (`notice`)."""
        ...


class AgentConsole(Protocol):
    """What a desk adapter may do on an agent's behalf; `bot` implements it.

    `staff_id` is a staff user the adapter has mapped its own user to (Slack user id).
    """

    async def claim(self, handoff_id: int, staff_id: int) -> ClaimResult: ...

    async def reply(
        self,
        handoff_id: int,
        staff_id: int,
        text: str,
        *,
        note: bool = False,
        attributes: Mapping[str, Any] | None = None,
    ) -> None:
        """Send `text` (Markdown, as the customer is to read it) to the customer on their
        channel, or log it as an internal note. `attributes` are kept on the reply for
        the audit (the agent's text as the desk had it, the files it carried)."""
        ...

    async def resolve(
        self, handoff_id: int, staff_id: int, *, keep_ticket_open: bool = False
    ) -> bool:
        """Close the handoff as resolved, and its ticket too unless `keep_ticket_open`."""
        ...

    async def return_to_bot(self, handoff_id: int, staff_id: int) -> bool: ...
