"""In-memory fakes that keep what they were asked, for tests to assert on."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bot.conversation.dialogue import Reply, Turn, Understanding
from channels.errors import DeliveryError
from channels.handoff import CustomerUpdate, HandoffPacket
from channels.messages import (
    Channel,
    ConversationMessage,
    InboundMessage,
    IntakeResult,
    OutboundMessage,
    SendReceipt,
)
from crm_store.base import utcnow


@dataclass
class RecordingSender:
    """A channel adapter that records every send; fails the first `failures` attempts."""

    channel: Channel = Channel.TERMINAL
    failures: int = 0
    retryable: bool = True
    attempts: list[OutboundMessage] = field(default_factory=list)
    sent: list[OutboundMessage] = field(default_factory=list)
    block: asyncio.Event | None = None

    async def send(self, message: OutboundMessage) -> SendReceipt:
        self.attempts.append(message)
        if self.block is not None:
            await self.block.wait()
        if len(self.attempts) <= self.failures:
            raise DeliveryError(
                f"provider refused (attempt {len(self.attempts)})", retryable=self.retryable
            )
        self.sent.append(message)
        return SendReceipt(provider_message_id=f"prov-{len(self.sent)}")


@dataclass
class ScriptedDialogue:
    """Answers every turn with the same replies and records the turns it saw."""

    replies: list[str] = field(default_factory=lambda: ["Hello from the bot"])
    turns: list[Turn] = field(default_factory=list)
    # Stored on every reply, e.g. {"route": {"decision": "answer"}}.
    attributes: dict[str, Any] = field(default_factory=dict)

    async def respond(self, turn: Turn) -> list[Reply]:
        self.turns.append(turn)
        return [
            Reply(text, intent="scripted", confidence=0.9, attributes=dict(self.attributes))
            for text in self.replies
        ]


@dataclass
class ScriptedUnderstander:
    """Understands every message the same way; records the texts; can be made to fail."""

    understanding: Understanding = field(
        default_factory=lambda: Understanding(
            intent="order_status",
            confidence=0.97,
            entities=[
                {
                    "entity": "order_number",
                    "value": "4417",
                    "start": 18,
                    "end": 22,
                    "extractor": "RegexEntityExtractor",
                }
            ],
        )
    )
    fail: bool = False
    texts: list[str] = field(default_factory=list)

    async def understand(self, text: str) -> Understanding:
        self.texts.append(text)
        if self.fail:
            raise RuntimeError("the NLU server is down")
        return self.understanding


@dataclass
class RecordingAgentDesk:
    """The in-memory agent desk: keeps every packet, customer update, claim and closing."""

    packets: list[HandoffPacket] = field(default_factory=list)
    updates: list[CustomerUpdate] = field(default_factory=list)
    claimed: list[tuple[int, str | None]] = field(default_factory=list)
    closed: list[tuple[int, str, str | None]] = field(default_factory=list)
    replies: list[tuple[int, str | None, str]] = field(default_factory=list)  # via the API
    failures: list[tuple[int, str]] = field(default_factory=list)

    async def handoff_opened(self, packet: HandoffPacket) -> None:
        self.packets.append(packet)

    async def customer_wrote(self, update: CustomerUpdate) -> None:
        self.updates.append(update)

    async def handoff_claimed(self, handoff_id: int, staff_name: str | None) -> None:
        self.claimed.append((handoff_id, staff_name))

    async def handoff_closed(self, handoff_id: int, outcome: str, staff_name: str | None) -> None:
        self.closed.append((handoff_id, outcome, staff_name))

    async def agent_replied(self, handoff_id: int, staff_name: str | None, text: str) -> None:
        self.replies.append((handoff_id, staff_name, text))

    async def delivery_failed(self, handoff_id: int, notice: str) -> None:
        self.failures.append((handoff_id, notice))


@dataclass
class RecordingDeskCalls:
    """The Slack call queue as the desk fills it (`channels.slack.ports.DeskCalls`): keeps
    each queued call as (method, arguments, purpose, handoff id)."""

    queued: list[tuple[str, dict[str, Any], str, int | None]] = field(default_factory=list)

    async def enqueue(
        self, method: str, arguments: dict[str, Any], *, purpose: str, handoff_id: int | None
    ) -> bool:
        self.queued.append((method, arguments, purpose, handoff_id))
        return True

    async def enqueue_card_update(
        self, handoff_id: int, redraw: Callable[[dict[str, Any]], dict[str, Any]]
    ) -> bool:
        self.queued.append(("chat.update", redraw({}), "card_update", handoff_id))
        return True


@dataclass
class RecordingIntake:
    """Records what it is handed; fails for the texts in `failing`."""

    received: list[InboundMessage] = field(default_factory=list)
    failing: set[str] = field(default_factory=set)
    attempts: list[str] = field(default_factory=list)

    async def receive(self, message: InboundMessage) -> IntakeResult:
        self.attempts.append(message.text)
        if message.text in self.failing:
            raise RuntimeError("the database said no")
        self.received.append(message)
        view = ConversationMessage(1, len(self.received), "in", "customer", message.text, utcnow())
        return IntakeResult(conversation_id=1, message=view, replies=[])
