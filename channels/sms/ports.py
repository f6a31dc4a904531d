"""What the SMS routes need from the application, as protocols `bot` implements."""

from __future__ import annotations

from typing import Protocol

from channels.messages import Channel


class ConsentRegister(Protocol):
    """Opt-outs and opt-ins of channel addresses."""

    async def is_opted_out(self, channel: Channel, address: str) -> bool: ...

    async def record(
        self,
        channel: Channel,
        address: str,
        *,
        opted_in: bool,
        source: str,
        provider_message_id: str,
        wording: str | None = None,
    ) -> bool:
        """Record a keyword's consent, unless the message carrying it was already taken
        in (a provider retry of an old STOP must not undo a later START). `wording` is
        the confirmation the sender is shown."""
        ...


class DeliveryReports(Protocol):
    """Providers' delivery status callbacks for sent messages."""

    async def report(
        self,
        channel: Channel,
        provider_message_id: str,
        status: str,
        *,
        outbox_id: int | None = None,
        error: str | None = None,
    ) -> bool | None:
        """True if the status moved the message forward, False if it was behind,
        None if no such message was sent."""
        ...
