"""The agent desk on Slack: what the bot reports becomes queued Slack calls.

Nothing here talks to Slack directly: each report is written to the Slack call queue in
one short transaction and the worker is woken, so the customer's request never waits on
Slack and a Slack outage loses nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from channels.handoff import CustomerUpdate, HandoffPacket
from channels.slack.cards import card_fallback, escape, handoff_card, restate, sent_file_line
from channels.slack.ports import DeskCalls

OUTCOMES = {"resolved": "Resolved", "returned_to_bot": "Back with the bot"}


class SlackDesk:
    """`AgentDesk` on Slack: a card per handoff in the handoff channel, a thread per card."""

    def __init__(self, calls: DeskCalls, handoff_channel: str, *, wake: Callable[[], None]) -> None:
        self._calls = calls
        self.handoff_channel = handoff_channel
        self._wake = wake

    async def handoff_opened(self, packet: HandoffPacket) -> None:
        """Queue the handoff's card. A handoff has one card: reporting it again (a second
        request for a person while it is live, a retried turn) queues nothing."""
        arguments = {
            "channel": self.handoff_channel,
            "text": card_fallback(packet),
            "blocks": handoff_card(packet),
            "unfurl_links": False,
        }
        await self._queue("chat.postMessage", arguments, "handoff_card", packet.handoff_id)

    async def customer_wrote(self, update: CustomerUpdate) -> None:
        said = update.text.strip()
        lines = [f"*Customer:* {escape(said)}" if said else "*Customer* sent:"]
        lines += [sent_file_line(file) for file in update.files]
        text = "\n".join(lines)
        await self._queue("chat.postMessage", {"text": text}, "thread_message", update.handoff_id)

    async def handoff_claimed(self, handoff_id: int, staff_name: str | None) -> None:
        await self.card_changed(handoff_id, f"Claimed by {staff_name or 'someone'}.", open_=True)

    async def handoff_closed(self, handoff_id: int, outcome: str, staff_name: str | None) -> None:
        said = OUTCOMES.get(outcome, outcome)
        by = f" by {staff_name}" if staff_name else ""
        await self.card_changed(handoff_id, f"{said}{by}.", open_=False)
        await self._queue(
            "chat.postMessage",
            {"text": f"{said}{by}. The customer has been told."},
            "thread_message",
            handoff_id,
        )

    async def agent_replied(self, handoff_id: int, staff_name: str | None, text: str) -> None:
        """A reply sent through the staff API, mirrored into the card's thread."""
        said = f"*{escape(staff_name or 'An agent')} (via API):* {escape(text)}"
        await self._queue("chat.postMessage", {"text": said}, "thread_message", handoff_id)

    async def delivery_failed(self, handoff_id: int, notice: str) -> None:
        """A message did not reach the customer (an agent's reply, or the bot's or the
        system's words while the conversation is with a person): say why in the card's
        thread."""
        text = f":warning: {escape(notice)}"
        await self._queue("chat.postMessage", {"text": text}, "thread_message", handoff_id)

    async def card_changed(self, handoff_id: int, status: str, *, open_: bool) -> None:
        """Redraw the card with a new status line and the buttons that still apply."""

        def redraw(card: dict[str, Any]) -> dict[str, Any]:
            return {
                "text": f"{card.get('text', '')} ({status})",
                "blocks": restate(card["blocks"], handoff_id, status, open_=open_),
            }

        await self._calls.enqueue_card_update(handoff_id, redraw)
        self._wake()

    async def tell(self, method: str, arguments: dict[str, Any], handoff_id: int | None) -> None:
        """Queue any other call (an ephemeral answer, a response_url post)."""
        await self._queue(method, arguments, "answer", handoff_id)

    async def _queue(
        self, method: str, arguments: dict[str, Any], purpose: str, handoff_id: int | None
    ) -> None:
        if await self._calls.enqueue(method, arguments, purpose=purpose, handoff_id=handoff_id):
            self._wake()
