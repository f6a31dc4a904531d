"""Web chat wiring: the widget's sender, its API and socket, the script, and in
development the demo page."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.business_hours import BusinessHours
from bot.settings import Settings
from bot.wiring.parts import ChannelParts
from channels.ports import ConversationFeed, MessageIntake
from channels.web import (
    CarriedMessages,
    SessionHub,
    SessionRevocations,
    SessionSigner,
    WebChatSender,
    webchat_router,
    widget_router,
)
from channels.web.availability import Availability, AvailabilityNow
from channels.web.limits import UNLIMITED, WebChatLimits
from crm_store import is_unavailable

__all__ = ["availability_of", "web_parts", "web_sender"]


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
    carried: CarriedMessages | None = None,
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
            availability=availability_of(settings.support.hours()),
            carried=carried,
        )
    )
    parts.routers.append(widget_router(max_text_length=settings.webchat.max_text_length))
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


def availability_of(hours: BusinessHours) -> AvailabilityNow:
    """The widget's "are people in?" from the support team's business hours."""

    def now() -> Availability:
        moment = datetime.now(UTC)
        if hours.is_open(moment):
            return Availability(people_available=True)
        try:
            opening = hours.next_opening(moment)
        except ValueError:  # no open weekday at all: people are not coming back
            return Availability(people_available=False)
        return Availability(
            people_available=False, people_back=f"{opening:%a %H:%M}", timezone=hours.timezone
        )

    return now
