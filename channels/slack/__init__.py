"""Slack: the agents' console (handoff cards, claims, thread replies) and sales
summaries. slack_bolt and slack_sdk are used only in this package."""

from channels.slack.app import EVENTS_PATH, SlackChannel, SlackCheck, SlackConfig
from channels.slack.calls import CallWorker, SlackCallBook, SlackCallQueue
from channels.slack.desk import SlackDesk
from channels.slack.ports import SlackStore

__all__ = [
    "EVENTS_PATH",
    "CallWorker",
    "SlackCallBook",
    "SlackCallQueue",
    "SlackChannel",
    "SlackCheck",
    "SlackConfig",
    "SlackDesk",
    "SlackStore",
]
