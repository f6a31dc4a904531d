"""Handoff cards in Block Kit: the context an agent needs, and the buttons to act on it.

A card is drawn once from the `HandoffPacket`; later states (claimed, resolved, back to
the bot) keep its context blocks and replace only the status line and the buttons.

The bot's and agents' messages are stored as Markdown, which Slack does not read (the
agent saw `**Track an order**` and `_Source: [Refunds](https://...)_` as typed): on the
card they are plain text with links in parentheses, as a mail quotes them. A customer's
words are shown as they wrote them.
"""

from __future__ import annotations

import re
from typing import Any

from channels.handoff import HandoffPacket, PacketMessage, SentFile
from channels.rendering.markdown import LinkStyle, shorten, to_text

CLAIM = "handoff_claim"
RESOLVE = "handoff_resolve"
# Resolve the handoff but leave its ticket open (the work goes on after the chat ends).
RESOLVE_KEEP_TICKET = "handoff_resolve_keep_ticket"
BACK_TO_BOT = "handoff_back_to_bot"
STATUS_BLOCK = "handoff_status"
ACTIONS_BLOCK = "handoff_actions"
MAX_TEXT = 2900  # Slack caps a section's text at 3,000 characters
# A last message's words on the card at most (less when many share the section): the
# whole conversation is on the handoff page; the card needs the gist of each message and,
# above all, every message's "not delivered" mark, which the section's cap must not cut.
MAX_MESSAGE_WORDS = 300
_FEWEST_WORDS = 40
MAX_MARK = 200  # a provider's reason in the mark, at most
LAST_MESSAGES_TITLE = "*Last messages*\n"

Block = dict[str, Any]


def _mrkdwn(text: str) -> dict[str, str]:
    return {"type": "mrkdwn", "text": text[:MAX_TEXT]}


def escape(text: str) -> str:
    """Slack's three control characters, so customer text cannot ping or link."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _said(message: PacketMessage) -> str:
    """A message's words as the card shows them (Markdown read, unless the customer's)."""
    if message.author == "customer":
        return escape(message.text)
    return escape(to_text(message.text, links=LinkStyle.IN_PARENTHESES))


def _unseen(message: PacketMessage) -> str:
    """Beside a message the customer never got, why: the card must not show it as read."""
    if not message.not_delivered:
        return ""
    return f":warning: _{escape(shorten(message.not_delivered, MAX_MARK, ellipsis='…'))}_"


def _last_messages(messages: list[PacketMessage]) -> str:
    """The "Last messages" section: each line the author, the "not delivered" mark right
    after it (a line cut short loses its end, never the mark), the words shortened so
    that every line fits under the section's cap, then the files the customer sent."""
    heads = [" ".join(p for p in (f"*{m.author}:*", _unseen(m)) if p) for m in messages]
    tails = [" ".join(map(sent_file_line, m.files)) for m in messages]
    fixed = len(LAST_MESSAGES_TITLE) + sum(
        len(h) + len(t) + 3 for h, t in zip(heads, tails, strict=True)
    )
    budget = max(_FEWEST_WORDS, min(MAX_MESSAGE_WORDS, (MAX_TEXT - fixed) // len(messages)))
    lines = [
        " ".join(p for p in (head, _words(m, budget), tail) if p)
        for head, m, tail in zip(heads, messages, tails, strict=True)
    ]
    return LAST_MESSAGES_TITLE + "\n".join(lines)


def _words(message: PacketMessage, max_chars: int) -> str:
    """A message's words for the card, at most `max_chars` of them (Slack-escaped)."""
    words = shorten(_said(message), max_chars, ellipsis="…")
    # A cut inside a long word may leave half an entity ("&am…"): drop it.
    return re.sub(r"&[a-z]*…$", "…", words)


def sent_file_line(file: SentFile) -> str:
    """A file the customer sent, as a link the agent can open where there is one."""
    if file.url and not set("<>|") & set(file.url):  # those would break Slack's link
        return f":paperclip: <{file.url}|{escape(file.label)}>"
    return f":paperclip: {escape(file.label)}"


def _button(label: str, action_id: str, handoff_id: int, style: str | None = None) -> Block:
    button: Block = {
        "type": "button",
        "text": {"type": "plain_text", "text": label},
        "action_id": action_id,
        "value": str(handoff_id),
    }
    if style:
        button["style"] = style
    return button


def card_fallback(packet: HandoffPacket) -> str:
    """The notification text (and what screen readers and old clients show)."""
    who = packet.customer_name or packet.customer_email or packet.customer_phone or "A customer"
    return f"Handoff #{packet.handoff_id}: {who} on {packet.channel} needs a person"


def handoff_card(packet: HandoffPacket) -> list[Block]:
    p = packet
    who = escape(p.customer_name or "unnamed customer")
    contact = ", ".join(escape(x) for x in (p.customer_email, p.customer_phone) if x)
    verified = "verified" if p.customer_verified else "not verified"
    fields = [
        _mrkdwn(f"*Customer*\n{who}"),
        _mrkdwn(f"*Contact*\n{contact or 'none given'} ({verified})"),
        _mrkdwn(f"*Account*\n{escape(p.account_name or 'none')}"),
        _mrkdwn(f"*Channel*\n{p.channel}"),
        _mrkdwn(f"*Reason*\n{p.reason.replace('_', ' ')}"),
        _mrkdwn(f"*Stage*\n{p.lifecycle_stage}"),
    ]
    blocks: list[Block] = [
        {"type": "header", "text": {"type": "plain_text", "text": f"Handoff #{p.handoff_id}"}},
        {"type": "section", "fields": fields},
        {"type": "section", "text": _mrkdwn(f"*Summary*\n{escape(p.summary)}")},
    ]
    if p.last_messages:
        blocks.append({"type": "section", "text": _mrkdwn(_last_messages(p.last_messages))})
    if p.passages_tried:
        tried = [
            f"• {escape(str(x.get('title') or x.get('url') or 'passage'))}"
            + (f" ({float(x['score']):.2f})" if x.get("score") is not None else "")
            for x in p.passages_tried
        ]
        blocks.append(
            {"type": "section", "text": _mrkdwn("*Knowledge tried*\n" + "\n".join(tried))}
        )
    tickets = [
        f"• {t['number']} [{t['status']}, {t['priority']}] {escape(str(t['subject']))}"
        for t in p.open_tickets
    ]
    blocks.append(
        {"type": "section", "text": _mrkdwn("*Open tickets*\n" + ("\n".join(tickets) or "none"))}
    )
    if p.recent_orders:
        orders = [
            f"• {o['number']} {o['status']}, {o['total']} ({o['placed_at']})"
            for o in p.recent_orders
        ]
        blocks.append({"type": "section", "text": _mrkdwn("*Recent orders*\n" + "\n".join(orders))})
    record = f"<{p.record_url}|handoff page>" if "://" in p.record_url else p.record_url
    blocks.append({"type": "context", "elements": [_mrkdwn(f"Record: {record}")]})
    return [*blocks, *card_controls(p.handoff_id, "Waiting for a person.", queued=True)]


def card_controls(
    handoff_id: int, status: str, *, queued: bool = False, open_: bool = True
) -> list[Block]:
    """The status line and the buttons that fit it."""
    controls: list[Block] = [
        {"type": "section", "block_id": STATUS_BLOCK, "text": _mrkdwn(f"*Status:* {status}")}
    ]
    if open_:
        buttons = [_button("Claim", CLAIM, handoff_id, "primary")] if queued else []
        buttons += [
            _button("Resolve", RESOLVE, handoff_id),
            _button("Resolve, keep ticket open", RESOLVE_KEEP_TICKET, handoff_id),
            _button("Back to bot", BACK_TO_BOT, handoff_id, "danger"),
        ]
        controls.append({"type": "actions", "block_id": ACTIONS_BLOCK, "elements": buttons})
    return controls


def restate(card: list[Block], handoff_id: int, status: str, *, open_: bool) -> list[Block]:
    """The card with a new status (claimed: no Claim button; closed: no buttons)."""
    context = [b for b in card if b.get("block_id") not in (STATUS_BLOCK, ACTIONS_BLOCK)]
    return [*context, *card_controls(handoff_id, status, open_=open_)]
