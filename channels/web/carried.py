"""The port through which a new widget session of a signed-in customer is given the web
chat campaign messages meant for them that no widget has shown yet.

A campaign message on web chat is for the customer, not for one browser (README, "Web
chat"): it is written into their latest widget conversation, and when they open a new
session elsewhere (another device, cleared storage, an expired session) that session
shows it instead, once. Only a session whose identity the host page signed: an
anonymous visitor's identity is their browser. `bot/channel_store` implements this on
the CRM store; the copies land in the session's own conversation, so the replay that
follows shows them as any other message.
"""

from __future__ import annotations

from typing import Protocol

from channels.web.sessions import WebSession


class CarriedMessages(Protocol):
    async def carry_into(self, session: WebSession) -> int:
        """Copy into `session`'s conversation, if the session is new to the store and
        signed in, its customer's recent web campaign messages no widget has shown;
        returns how many."""
        ...
