"""A terminal as a channel, for `switchboard chat`: same engine, same history."""

from __future__ import annotations

from typing import TextIO

from channels.messages import Channel, OutboundMessage, SendReceipt


class TerminalSender:
    channel = Channel.TERMINAL

    def __init__(self, stream: TextIO, *, prefix: str = "bot> ") -> None:
        self._stream = stream
        self._prefix = prefix

    async def send(self, message: OutboundMessage) -> SendReceipt:
        self._stream.write(f"{self._prefix}{message.text}\n")
        self._stream.flush()
        return SendReceipt(provider_message_id=f"terminal-{message.interaction_id}")


__all__ = ["TerminalSender"]
