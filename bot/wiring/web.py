"""Web chat wiring: the widget's sender, its API and socket, the script, and in
development the demo page."""

from __future__ import annotations

from bot.settings import Settings
from bot.wiring.parts import ChannelParts
from channels.ports import ConversationFeed, MessageIntake
from channels.web import SessionHub, SessionSigner, WebChatSender, webchat_router, widget_router
from crm_store import is_unavailable

__all__ = ["web_parts", "web_sender"]


def web_sender(hub: SessionHub) -> WebChatSender:
    return WebChatSender(hub)


def web_parts(
    settings: Settings,
    *,
    intake: MessageIntake,
    feed: ConversationFeed,
    signer: SessionSigner,
    hub: SessionHub,
) -> ChannelParts:
    parts = ChannelParts("web chat", "web chat is on: the widget at /widget.js")
    parts.routers.append(
        webchat_router(
            intake=intake,
            feed=feed,
            signer=signer,
            hub=hub,
            max_text_length=settings.webchat.max_text_length,
            identity_secret=settings.identity_secret(),
            is_outage=is_unavailable,
            retry_after_seconds=settings.database.retry_after_seconds,
        )
    )
    parts.routers.append(widget_router())
    if settings.environment == "development":
        # Imported here so that a production server imports no demo code at all.
        from demo.page import demo_page_router

        parts.routers.append(demo_page_router(settings.identity_secret()))
        parts.status += "; the demo page at / (development)"
    return parts
