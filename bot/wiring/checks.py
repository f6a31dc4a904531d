"""Which check each channel gets, from the settings alone (so `switchboard check` needs
no store or model): Slack `auth.test` and the handoff channel, Twilio's account and
sender, SMTP connect/TLS/login and IMAP login/folder. The check code is the channels'
own (`check()` on each adapter); bot/wiring/channel_health.py runs them and reports.

Each check names the settings to look at when a step fails, so the log line says what
to fix: "Slack is failing: auth.test answered invalid_auth (check
SWITCHBOARD_SLACK__BOT_TOKEN)".
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from anyio import to_thread

from bot.settings import Settings
from bot.wiring.email import imap_account, smtp_server
from bot.wiring.slack import slack_config
from bot.wiring.sms import sms_sender
from channels.checks import CheckResult
from channels.email import check_imap, check_smtp
from channels.slack import SlackCheck

__all__ = ["ChannelCheck", "Probe", "channel_checks"]

Probe = Callable[[], Awaitable[CheckResult]]


@dataclass(frozen=True)
class ChannelCheck:
    """One channel: `name` as its ChannelParts call it, `label` as a person reads it.
    Off when not `configured`; configured without a `probe`, it is on with nothing to
    check (the web chat has no provider). `hints` map a failing step's first words to
    the settings to look at."""

    name: str
    label: str
    configured: bool
    off_reason: str = ""
    probe: Probe | None = None
    hints: tuple[tuple[str, str], ...] = field(default=())

    def hint(self, step: str | None) -> str | None:
        return next((h for prefix, h in self.hints if step and step.startswith(prefix)), None)


def channel_checks(settings: Settings) -> list[ChannelCheck]:
    """The four channels, in the order their wiring lists them."""
    return [
        ChannelCheck("web chat", "web chat", configured=True),
        _sms(settings),
        _email(settings),
        _slack(settings),
    ]


def _slack(settings: Settings) -> ChannelCheck:
    if not settings.slack.enabled:
        return ChannelCheck("slack", "Slack", False, "SWITCHBOARD_SLACK__BOT_TOKEN is not set")
    return ChannelCheck(
        "slack",
        "Slack",
        True,
        probe=SlackCheck(slack_config(settings)).check,
        hints=(
            ("auth.test", "SWITCHBOARD_SLACK__BOT_TOKEN"),
            ("reaching", "SWITCHBOARD_SLACK__API_BASE_URL and the network"),
            ("conversations", "SWITCHBOARD_SLACK__HANDOFF_CHANNEL and that the bot is in it"),
        ),
    )


def _sms(settings: Settings) -> ChannelCheck:
    sender = sms_sender(settings)
    if sender is None:
        return ChannelCheck("sms", "SMS", False, "set SWITCHBOARD_TWILIO__* to turn it on")
    return ChannelCheck(
        "sms",
        "SMS",
        True,
        probe=sender.check,
        hints=(
            ("account", "SWITCHBOARD_TWILIO__ACCOUNT_SID and SWITCHBOARD_TWILIO__AUTH_TOKEN"),
            ("from-number", "SWITCHBOARD_TWILIO__FROM_NUMBER"),
            ("Messaging", "SWITCHBOARD_TWILIO__MESSAGING_SERVICE_SID"),
            ("reaching", "SWITCHBOARD_TWILIO__API_BASE_URL and the network"),
        ),
    )


def _email(settings: Settings) -> ChannelCheck:
    email = settings.email
    if email.from_address is None:
        return ChannelCheck("email", "email", False, "set SWITCHBOARD_EMAIL__FROM_ADDRESS")
    probes: list[Probe] = []
    if email.smtp_enabled:
        server = smtp_server(email)
        probes.append(lambda: check_smtp(server))
    if email.imap_enabled:
        account = imap_account(email)
        # Abandoned on cancel: the check's timeout must not wait for imaplib's own.
        probes.append(lambda: to_thread.run_sync(check_imap, account, abandon_on_cancel=True))
    return ChannelCheck(
        "email",
        "email",
        True,
        probe=_all_of(probes) if probes else None,
        hints=(
            ("SMTP login", "SWITCHBOARD_EMAIL__SMTP_USER and SWITCHBOARD_EMAIL__SMTP_PASSWORD"),
            ("SMTP", "SWITCHBOARD_EMAIL__SMTP_HOST, __SMTP_PORT and __SMTP_STARTTLS/__SMTP_SSL"),
            ("IMAP login", "SWITCHBOARD_EMAIL__IMAP_USER and SWITCHBOARD_EMAIL__IMAP_PASSWORD"),
            ("IMAP select", "SWITCHBOARD_EMAIL__IMAP_FOLDER"),
            ("IMAP", "SWITCHBOARD_EMAIL__IMAP_HOST, __IMAP_PORT and __IMAP_TLS"),
        ),
    )


def _all_of(probes: list[Probe]) -> Probe:
    """Several probes as one (SMTP and IMAP are one channel): run together; the first
    failure is the step named, any other failure is added to its reason."""

    async def probe() -> CheckResult:
        results = await asyncio.gather(*(p() for p in probes))
        failed = [r for r in results if not r.ok]
        if not failed:
            return CheckResult.passed()
        first, *others = failed
        reason = "; ".join([first.reason or "", *(r.describe() for r in others)])
        return CheckResult.failed(first.step or "check", reason)

    return probe
