"""Slack wiring: the agents' desk (handoff cards and threads), the events route and the
call worker. Slack is built in two steps: the desk is needed by the handoff service
before the engine exists; the listeners need the handoff service."""

from __future__ import annotations

from typing import Any

from bot.channel_store.account_summaries import StoredAccountSummaries
from bot.channel_store.slack_audit import AuditedConsole
from bot.channel_store.slack_calls import StoredSlackCalls
from bot.channel_store.slack_desk_store import StoredDeskCalls, StoredHandoffThreads
from bot.channel_store.slack_events import StoredSlackEvents
from bot.channel_store.slack_staff import StoredSlackStaff
from bot.delivery.queue import QueueWorker
from bot.handoffs import HandoffError, HandoffService
from bot.settings import Settings
from bot.wiring.parts import ChannelParts
from channels.slack import SlackCallQueue, SlackChannel, SlackConfig, SlackStore
from crm_store import Database, is_unavailable
from crm_store.slack import SlackCallRecord

__all__ = ["open_slack", "slack_config", "slack_parts", "slack_store"]


def open_slack(settings: Settings, database: Database) -> SlackChannel | None:
    """The Slack channel when a bot token is set (the settings make sure of the rest)."""
    slack = settings.slack
    if slack.bot_token is None:
        return None
    delivery = settings.delivery

    def call_worker(queue: SlackCallQueue) -> QueueWorker[SlackCallRecord, dict[str, Any]]:
        """The Slack calls on the one queue worker, with Slack's retry window."""
        return QueueWorker(
            queue,
            delivery.slack_policy(),
            poll_interval_seconds=delivery.poll_interval_seconds,
            name="slack-calls",
        )

    return SlackChannel(
        slack_store(database),
        slack_config(settings),
        calls=StoredSlackCalls(database),
        call_worker=call_worker,
    )


def slack_config(settings: Settings) -> SlackConfig:
    """The adapter's plain values from the settings (a bot token set)."""
    slack = settings.slack
    assert slack.bot_token and slack.signing_secret and slack.handoff_channel
    return SlackConfig(
        bot_token=slack.bot_token.get_secret_value(),
        signing_secret=slack.signing_secret.get_secret_value(),
        handoff_channel=slack.handoff_channel,
        api_base_url=slack.api_base_url,
        timeout_seconds=slack.timeout_seconds,
    )


def slack_store(database: Database) -> SlackStore:
    """What the Slack channel reads and writes, over the CRM store."""
    return SlackStore(
        events=StoredSlackEvents(database),
        staff=StoredSlackStaff(database),
        threads=StoredHandoffThreads(database),
        calls=StoredDeskCalls(database),
        summaries=StoredAccountSummaries(database),
    )


def slack_parts(
    settings: Settings, slack: SlackChannel | None, handoffs: HandoffService
) -> ChannelParts:
    if slack is None:
        return ChannelParts("slack", "Slack is off: SWITCHBOARD_SLACK__BOT_TOKEN is not set")
    slack.connect(
        AuditedConsole(handoffs, handoffs.database),  # agents' actions audited, as the API's
        refusals=(HandoffError,),
        is_outage=is_unavailable,
        retry_after_seconds=settings.database.retry_after_seconds,
    )
    return ChannelParts(
        "slack",
        f"Slack is on: handoff cards in {settings.slack.handoff_channel}",
        routers=[slack.router()],
        workers={"slack-call-worker": slack.worker},
    )
