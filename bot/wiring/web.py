"""Web chat wiring: the widget's sender, its API and socket, the script, and in
development the demo page."""

from __future__ import annotations

from bot.settings import Settings
from bot.wiring.parts import ChannelParts
from channels.ports import ConversationFeed, MessageIntake
from channels.web import (
    SessionHub,
    SessionRevocations,
    SessionSigner,
    WebChatSender,
    webchat_router,
    widget_router,
)
from channels.web.limits import UNLIMITED, WebChatLimits
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
    revocations: SessionRevocations,
    limits: WebChatLimits = UNLIMITED,
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
            limits=limits,
            max_json_depth=settings.max_json_depth,
            revocations=revocations,
            is_outage=is_unavailable,
            retry_after_seconds=settings.database.retry_after_seconds,
        )
    )
    parts.routers.append(widget_router())
    if settings.environment == "development":
        # Imported here so that a production server imports no demo code at all.
        from demo.page import demo_page_router

        # The page signs demo customers' identities only when the demo is explicitly on
        # (`make run`): a development server reachable on a network must not hand out
        # verified sessions to whoever asks.
        demo_on = settings.demo.enabled
        parts.routers.append(demo_page_router(settings.identity_secret() if demo_on else None))
        parts.status += (
            "; the demo page at / signs the demo customers' identities for anyone "
            "(SWITCHBOARD_DEMO__ENABLED): never expose this server"
            if demo_on
            else "; the demo page at / (development; anonymous only)"
        )
    return parts
