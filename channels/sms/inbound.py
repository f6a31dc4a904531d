"""Twilio's inbound message webhook form -> `InboundMessage`. Pure: no I/O."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

import phonenumbers

from channels.messages import Channel, ContactProfile, InboundMessage
from channels.sms.keywords import Keyword
from channels.sms.reactions import reaction_of
from channels.text import storable

MAX_MEDIA = 10  # Twilio attaches at most ten
_PHONE = re.compile(r"^\+[\d\s().-]+$")


class BadForm(ValueError):
    """The webhook form lacks a field Twilio always sends, or holds what cannot be stored."""


@dataclass(frozen=True, slots=True)
class KeywordReplies:
    """What the bot says to keywords and to pictures, in the company's words."""

    help: str
    opt_out: str = (
        "You are unsubscribed and will get no more messages from us. "
        "Reply START to subscribe again."
    )
    opt_in: str = "You are subscribed again. Reply HELP for help or STOP to unsubscribe."
    media_only: str = (
        "Thanks, we got your attachment and it is saved with your conversation for our "
        "support team. I can't look at pictures or files myself: tell me in words what "
        "you need and I'll try to help."
    )
    media_with_text: str = (
        "Your attachment is saved with your conversation for our support team; I can't "
        "look at pictures or files myself, so here is what I can say:"
    )


@dataclass(frozen=True, slots=True)
class TwilioSms:
    message_sid: str
    sender: str  # the From number, E.164 when it is a phone number
    to: str
    body: str
    media: list[dict[str, str]] = field(default_factory=list)


def phone_address(raw: str) -> str:
    """The sender's number in E.164 (+4930...), as the store keeps phones; anything that
    is not a phone number (a short code, a channel address) is kept as it came."""
    raw = raw.strip()
    if not _PHONE.match(raw):
        return raw
    try:
        number = phonenumbers.parse(raw, None)
    except phonenumbers.NumberParseException:
        return raw
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def unreplyable(sender: str) -> str | None:
    """Why no SMS can go back to this sender, or None when one can. Only a phone number
    (E.164, as `phone_address` gives it) can be texted from a Twilio number: an
    alphanumeric sender ID ("ACMEBANK") takes no replies at all, and Twilio numbers
    cannot text short codes (Twilio error 21265); both are mostly automated senders
    (codes, carrier notices), which a reply could only bounce off or loop with."""
    if sender.startswith("+"):
        return None
    kind = "a short code" if sender.isdigit() else "an alphanumeric sender ID"
    return f"sender is {kind}: SMS cannot be sent back to it"


def parse_form(form: Mapping[str, str]) -> TwilioSms:
    missing = [name for name in ("MessageSid", "From") if not form.get(name, "").strip()]
    if missing:
        raise BadForm(f"missing {', '.join(missing)}")
    body = form.get("Body", "")
    try:
        storable(body)
    except ValueError as exc:
        raise BadForm(f"Body {exc}") from None
    try:
        count = min(int(form.get("NumMedia", "0") or 0), MAX_MEDIA)
    except ValueError:
        raise BadForm("NumMedia must be a number") from None
    media = [
        {"url": form[f"MediaUrl{i}"], "content_type": form.get(f"MediaContentType{i}", "")}
        for i in range(count)
        if form.get(f"MediaUrl{i}")
    ]
    return TwilioSms(
        message_sid=form["MessageSid"].strip(),
        sender=phone_address(form["From"]),
        to=form.get("To", ""),
        body=body,
        media=media,
    )


def to_inbound(sms: TwilioSms, keyword: Keyword | None, replies: KeywordReplies) -> InboundMessage:
    """The engine's message. Keywords and a bare picture get their fixed reply (no NLU);
    keyword replies are marked `consent_notice` so they reach a number that opted out.
    A phone's reaction to one of our texts (reactions.py), an empty text and any text
    from a sender that is not a phone number (`unreplyable`) are logged without a
    reply."""
    attributes: dict[str, object] = {"twilio_to": sms.to}
    if sms.media:
        attributes["media"] = sms.media
    preset, notice, silent, note = None, False, None, None
    if keyword is not None:
        attributes["sms_keyword"] = keyword.value
        preset = {
            Keyword.OPT_OUT: replies.opt_out,
            Keyword.OPT_IN: replies.opt_in,
            Keyword.HELP: replies.help,
        }[keyword]
        notice = True
    elif sms.media and not sms.body.strip():
        preset = replies.media_only
    elif sms.media:
        note = replies.media_with_text
    elif (reaction := reaction_of(sms.body)) is not None:
        attributes["sms_reaction"] = reaction
        silent = "reaction to our text"
    elif not sms.body.strip():
        silent = "empty message"
    if (cannot := unreplyable(sms.sender)) is not None:
        # Kept on record like any text (a keyword's consent change too), never answered:
        # a reply would die at Twilio as a dead send, alerting for nothing.
        preset, note, silent = None, None, cannot
    return InboundMessage(
        channel=Channel.SMS,
        address=sms.sender,
        provider_message_id=sms.message_sid,
        text=sms.body,
        # The carrier supplies the number: it is proven, so it joins the customer with
        # that phone on file.
        profile=ContactProfile(
            phone=sms.sender if sms.sender.startswith("+") else None, verified=True
        ),
        attributes=attributes,
        preset_reply=preset,
        preset_reply_attributes={"consent_notice": True} if notice else {},
        no_reply_reason=silent,
        reply_note=note,
    )
