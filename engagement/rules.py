"""The rules a campaign message must pass at the moment it is sent (and at preview).

`EngagementRules` are the deployment's settings (bot/settings.py `campaigns`); `assess`
applies them to one ledger row and answers send (with the address and the rendered
message), wait (quiet hours: until the window opens) or suppress (why not), or fail
(the template cannot be rendered for this customer). The preview calls the same
function, so what it shows is what the sender will do if nothing changes meanwhile.

Web chat (decided here): the campaign's purpose applies as on every channel, checked
on the customer's widget identity, and a withdrawal there (the widget's opt-out, staff)
is honoured. Two rules differ, because a web chat message is shown inside the
company's own site to a visitor who opens it, and buzzes no phone: marketing on web
chat needs no prior opt-in (that rule is for SMS and email, "electronic mail" in the
ePrivacy directive and the TCPA), and quiet hours do not hold it back. The frequency
cap counts it like any marketing message.

A web chat message is for the customer, not for one browser (decided here too): it is
written into their latest widget conversation, and a new widget session whose identity
the host page signs carries over, once, those of the last `WEB_CARRY_OVER` that no
widget has shown yet (crm_store/web_campaign_messages.py). An anonymous visitor's
identity is their browser: nothing is carried for them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from crm_store.campaigns import CampaignRecord
from crm_store.consents import MARKETING
from engagement.errors import InvalidCampaign
from engagement.send_facts import SendFacts
from engagement.templates import Renderer
from engagement.time_zones import QuietHours, customer_zone

__all__ = [
    "PROVIDER_SETTINGS",
    "REASONS",
    "WEB_CARRY_OVER",
    "Assessment",
    "EngagementRules",
    "assess",
    "channels_off",
    "channels_off_reason",
]

SMS_OPT_OUT_HINT = "Reply STOP to opt out."
# Why a customer gets nothing, as the preview and the report name it.
REASONS = {
    "holdout": "in the holdout group",
    "no_address": "no address on this channel",
    "no_consent": "never agreed to marketing on this channel",
    "sms_stop": "texted STOP",
    "unsubscribed": "unsubscribed from email",
    "opted_out": "withdrew consent",
    "frequency_cap": "reached the frequency cap",
    "quiet_hours": "quiet hours in their time zone (waits)",
    "deadline": "the send deadline passed before it could be sent",
    "cancelled": "the campaign was cancelled",
    "template": "the template cannot be rendered for this customer",
    "replied": "wrote to us after entering the journey",
    "converted": "ordered after entering the journey",
    "branch": "a branch of the journey skips or stops before this step",
}
# Channels whose messages wait for the customer to look (the web widget).
SHOWN_ON_VISIT = ("web",)
# How old a web chat campaign message may be and still be carried into a customer's
# new widget session: 14 days, a campaign's default conversion window (`conversion_days`),
# the time over which its report counts it as working. An older message is past the
# offer's life ("this week"), and shown out of the blue on a new device it would be
# news that is no longer true.
WEB_CARRY_OVER = timedelta(days=14)


@dataclass(frozen=True, slots=True)
class EngagementRules:
    quiet_hours: QuietHours = field(default_factory=QuietHours)
    company_zone: ZoneInfo = field(default_factory=lambda: ZoneInfo("UTC"))
    frequency_cap: int | None = 2  # marketing messages per window, across campaigns
    frequency_window: timedelta = timedelta(days=7)
    # Marketing goes only to addresses whose newest marketing entry is `granted`
    # (opt-in, as GDPR and the TCPA ask); False: to anyone who did not withdraw.
    marketing_needs_opt_in: bool = True
    holdout_salt: str = "switchboard-holdout"
    # The channels this deployment has a provider for (web chat always; SMS with Twilio
    # set up; email with SMTP). Scheduling a campaign with a step on another channel is
    # refused, because every one of its sends would fail. None: not known, not checked.
    channels: frozenset[str] | None = None


# What turns each provider's channel on (README "Settings"): the refusals name it.
PROVIDER_SETTINGS = {
    "sms": 'set SWITCHBOARD_TWILIO__*, README "SMS (Twilio)"',
    "email": 'set SWITCHBOARD_EMAIL__SMTP_HOST and __FROM_ADDRESS, README "Email"',
}


def channels_off_reason(channels: list[str]) -> str:
    """Why steps on these channels cannot go out, and the two ways on."""
    needs = "; ".join(f"{c}: {PROVIDER_SETTINGS.get(c, 'set up its provider')}" for c in channels)
    return (
        f"this server cannot send on {' or '.join(channels)}, no provider is set up for it "
        f"({needs}). Set it up, or save the campaign again under the same name without "
        "those steps (a draft of that name is changed)"
    )


# Why a customer has no address on a channel, in the marketer's words (a web chat
# "address" is a widget identity: the customer has chatted on the site).
NO_ADDRESS = {
    "sms": "no phone number on file",
    "email": "no email address on file",
    "web": "has never chatted on the website widget",
}


def channels_off(campaign: CampaignRecord, rules: EngagementRules) -> list[str]:
    """The campaign's channels that this deployment has no provider for, in step order."""
    if rules.channels is None:
        return []
    wanted = dict.fromkeys(campaign.channels.values())
    return [channel for channel in wanted if channel not in rules.channels]


@dataclass(frozen=True, slots=True)
class Assessment:
    decision: str  # send | wait | suppress | fail
    reason: str | None = None
    detail: str = ""
    address: str | None = None
    parts: dict[str, str] = field(default_factory=dict)
    at: datetime | None = None  # send: when; wait: when the window opens
    zone: str | None = None


def _consent_refusal(
    facts: SendFacts, channel: str, address: str, purpose: str, opt_in: bool
) -> tuple[str, str] | None:
    consent = facts.consent(channel, address, purpose)
    if consent is not None and consent.opted_out:
        if consent.means == "sms_keyword":
            reason = "sms_stop"
        elif consent.means == "unsubscribe_link":
            reason = "unsubscribed"
        else:
            reason = "opted_out"
        when = consent.recorded_at.strftime("%Y-%m-%d %H:%M UTC")
        return reason, f"{purpose} withdrawn by {consent.means} at {when}"
    if purpose == MARKETING and opt_in and consent is None:
        return "no_consent", f"no {purpose} consent recorded for {address}"
    return None


def assess(
    session: Session,
    campaign: CampaignRecord,
    renderer: Renderer,
    *,
    send_id: int | None,
    step: str,
    customer_id: int,
    rules: EngagementRules,
    now: datetime,
    channel: str | None = None,
    facts: SendFacts | None = None,
) -> Assessment:
    """What to do with `step` of `campaign` for this customer at `now`. `channel` is
    the step's channel (a broadcast's steps are named by theirs). `facts`: what the
    store says, loaded for a batch of sends (engagement/send_facts.py); without them
    they are read for this one customer."""
    channel = channel or step
    if facts is None:
        facts = SendFacts.load(
            session,
            [(customer_id, channel, campaign.purpose)],
            cap_window=rules.frequency_window if rules.frequency_cap is not None else None,
            now=now,
        )
    if campaign.status == "cancelled":
        return Assessment("suppress", "cancelled", "the campaign was cancelled")
    if campaign.send_deadline is not None and now > campaign.send_deadline:
        return Assessment(
            "suppress", "deadline", f"deadline {campaign.send_deadline.isoformat()} passed"
        )
    fields = facts.fields.get(customer_id)
    if fields is None:
        return Assessment("suppress", "no_address", "the customer no longer exists")
    address = facts.addresses.get((customer_id, channel))
    if address is None:
        return Assessment(
            "suppress", "no_address", NO_ADDRESS.get(channel, f"no {channel} address")
        )
    opt_in = rules.marketing_needs_opt_in and channel not in SHOWN_ON_VISIT
    refusal = _consent_refusal(facts, channel, address, campaign.purpose, opt_in)
    if refusal is not None:
        return Assessment("suppress", refusal[0], refusal[1], address=address)
    if campaign.purpose == MARKETING and rules.frequency_cap is not None:
        sent = facts.marketing_sent(customer_id, other_than=send_id)
        if sent >= rules.frequency_cap:
            days = rules.frequency_window.days
            return Assessment(
                "suppress",
                "frequency_cap",
                f"{sent} marketing messages in the last {days} days (cap {rules.frequency_cap})",
                address=address,
            )
    try:
        parts = renderer.render(step, fields)
    except InvalidCampaign as exc:
        return Assessment("fail", "template", exc.reason, address=address)
    first_sms = channel == "sms" and campaign.purpose == MARKETING
    if first_sms and address not in facts.hinted:
        parts["body"] = f"{parts['body']}\n{SMS_OPT_OUT_HINT}"
    zone, zone_source = customer_zone(fields.attributes, fields.phone, rules.company_zone)
    shown = f"{zone.key} ({zone_source})"
    opens = None if channel in SHOWN_ON_VISIT else rules.quiet_hours.opens_at(now, zone)
    if opens is not None:
        if campaign.send_deadline is not None and opens > campaign.send_deadline:
            return Assessment(
                "suppress",
                "deadline",
                f"quiet hours in {zone.key} until after the deadline",
                address=address,
                zone=shown,
            )
        local = opens.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z")
        return Assessment(
            "wait",
            "quiet_hours",
            f"quiet hours in {zone.key}; opens {local}",
            address=address,
            parts=parts,
            at=opens,
            zone=shown,
        )
    return Assessment("send", address=address, parts=parts, at=now, zone=shown)
