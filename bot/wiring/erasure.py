"""Erasure wiring: the steps' adapters from the settings (Slack, Twilio and IMAP where
configured) and the erasure worker on the one queue worker."""

from __future__ import annotations

from bot.delivery.queue import RetryPolicy
from bot.erasure.queue import ErasureWorker
from bot.erasure.steps import ErasureSteps
from bot.settings import Settings
from bot.wiring.email import imap_account
from bot.wiring.slack import slack_config
from channels.slack.erasure import SlackThreadEraser
from channels.sms.erasure import TwilioMessageEraser
from crm_store import Database

__all__ = ["erasure_policy", "erasure_steps", "erasure_worker"]


def erasure_steps(settings: Settings, database: Database) -> ErasureSteps:
    twilio = settings.twilio
    eraser = None
    if twilio.account_sid and twilio.auth_token:
        eraser = TwilioMessageEraser(
            account_sid=twilio.account_sid,
            auth_token=twilio.auth_token.get_secret_value(),
            api_base_url=twilio.api_base_url,
        )
    email = settings.email
    return ErasureSteps(
        database,
        slack=SlackThreadEraser(slack_config(settings)) if settings.slack.enabled else None,
        twilio=eraser,
        mailbox=imap_account(email) if email.imap_enabled else None,
        mail_relay=email.inbound_token is not None,
        mail_relay_keeps_days=settings.privacy.mail_relay_keeps_days,
        twilio_keeps_days=settings.privacy.twilio_keeps_days,
    )


def erasure_policy(settings: Settings) -> RetryPolicy:
    delivery = settings.delivery
    return RetryPolicy(
        max_attempts=None,
        base_delay_seconds=delivery.base_delay_seconds,
        max_delay_seconds=max(delivery.max_delay_seconds, 3600.0),
        retry_window_seconds=settings.privacy.erasure_retry_window_seconds,
    )


def erasure_worker(
    settings: Settings, database: Database, *, only_erasure: int | None = None
) -> ErasureWorker:
    return ErasureWorker(
        database,
        erasure_steps(settings, database),
        policy=erasure_policy(settings),
        poll_interval_seconds=settings.delivery.poll_interval_seconds,
        only_erasure=only_erasure,
    )
