"""SMS wiring: the Twilio sender and webhook routes, built from settings when configured."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from bot.channel_store.consent_book import ConsentBook
from bot.channel_store.delivery_reports import DeliveryReports
from bot.settings import Settings
from bot.wiring.parts import ChannelParts
from channels.messages import Channel
from channels.ports import MessageIntake
from channels.sms import STATUS_PATH, KeywordReplies, SignatureCheck, TwilioSender, twilio_router
from channels.sms.reply_length import too_long_for_one_text
from crm_store import Database


def sms_sender(settings: Settings) -> TwilioSender | None:
    twilio = settings.twilio
    if not twilio.configured:
        return None
    assert twilio.account_sid and twilio.auth_token and settings.public_base_url
    return TwilioSender(
        account_sid=twilio.account_sid,
        auth_token=twilio.auth_token.get_secret_value(),
        from_number=twilio.from_number,
        messaging_service_sid=twilio.messaging_service_sid,
        status_callback_url=settings.public_base_url.rstrip("/") + STATUS_PATH,
        api_base_url=twilio.api_base_url,
        max_chars=twilio.max_message_chars,
    )


def sms_reply_limits(settings: Settings) -> dict[str, Callable[[str], str | None]]:
    """Why an agent's reply cannot go by SMS whole (the sender would cut it), per channel
    name: for the handoff service, which refuses it rather than let half of it go."""
    if not settings.twilio.configured:
        return {}
    limit = settings.twilio.max_message_chars
    return {Channel.SMS.value: partial(too_long_for_one_text, max_chars=limit)}


def sms_parts(settings: Settings, database: Database, intake: MessageIntake) -> ChannelParts:
    """The Twilio webhooks (inbound messages with STOP/START/HELP, status callbacks)."""
    twilio = settings.twilio
    if not twilio.configured:
        return ChannelParts("sms", "SMS is off: set SWITCHBOARD_TWILIO__* to turn it on")
    assert twilio.auth_token and settings.public_base_url
    router = twilio_router(
        intake=intake,
        consents=ConsentBook(database),
        reports=DeliveryReports(database),
        check=SignatureCheck(twilio.auth_token.get_secret_value(), settings.public_base_url),
        replies=KeywordReplies(help=twilio.help_text),
    )
    return ChannelParts(
        "sms",
        "SMS is on: Twilio webhooks at /webhooks/twilio/sms and /webhooks/twilio/status",
        routers=[router],
    )
