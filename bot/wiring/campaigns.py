"""Campaign wiring: the rules from the settings, the sender and the scheduler."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import timedelta
from zoneinfo import ZoneInfo

from bot.api.unsubscribe import UnsubscribeLinks
from bot.delivery.campaign_queue import CampaignSendQueue, CampaignSendWorker
from bot.delivery.campaign_scheduler import CampaignScheduler
from bot.settings import Settings
from channels.messages import Channel
from channels.ports import ChannelSender
from crm_store import Database
from engagement.rules import EngagementRules
from engagement.time_zones import QuietHours

__all__ = ["campaign_channels", "campaign_scheduler", "campaign_sender", "engagement_rules"]


def campaign_channels(settings: Settings) -> frozenset[str]:
    """The channels a campaign can be sent on with these settings: web chat always, SMS
    with Twilio set up, email with an SMTP server (as `campaigns run` builds its senders)."""
    found = {Channel.WEB.value}
    if settings.twilio.configured:
        found.add(Channel.SMS.value)
    if settings.email.smtp_enabled:
        found.add(Channel.EMAIL.value)
    return frozenset(found)


def engagement_rules(
    settings: Settings, *, channels: frozenset[str] | None = None
) -> EngagementRules:
    """The rules from the settings; `channels` as the server's senders have them, else
    as the settings say (`campaign_channels`)."""
    found = settings.campaigns
    return EngagementRules(
        quiet_hours=QuietHours(found.quiet_hours_start, found.quiet_hours_end),
        company_zone=ZoneInfo(found.company_timezone or settings.support.timezone),
        frequency_cap=found.frequency_cap,
        frequency_window=timedelta(days=found.frequency_window_days),
        marketing_needs_opt_in=found.marketing_needs_opt_in,
        holdout_salt=found.holdout_salt,
        channels=campaign_channels(settings) if channels is None else channels,
    )


def campaign_sender(
    settings: Settings, database: Database, senders: Mapping[Channel, ChannelSender]
) -> CampaignSendWorker:
    """The worker that sends campaign ledger rows through the channel adapters. Mail
    carries single-use unsubscribe links when the server has a public URL."""
    links = UnsubscribeLinks(settings.webchat_secret(), settings.public_base_url or "")
    found = settings.campaigns
    queue = CampaignSendQueue(
        database,
        senders,
        engagement_rules(settings),
        per_second={"sms": found.sms_per_second, "email": found.email_per_second},
        unsubscribe_url=links.campaign_url if settings.public_base_url else None,
        lease_seconds=settings.delivery.lease_seconds,
    )
    return CampaignSendWorker(queue, poll_interval_seconds=settings.delivery.poll_interval_seconds)


def campaign_scheduler(
    settings: Settings, database: Database, started: Callable[[], None]
) -> CampaignScheduler:
    """The scheduler; `started` wakes the campaign senders when a send's rows are
    queued (a server's wakes every process's: the scheduler runs in one of them)."""
    return CampaignScheduler(
        database,
        holdout_salt=settings.campaigns.holdout_salt,
        poll_interval_seconds=settings.campaigns.poll_interval_seconds,
        idle_seconds=settings.delivery.poll_interval_seconds,
        started=started,
    )
