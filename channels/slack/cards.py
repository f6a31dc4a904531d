"""Handoff cards in Block Kit: the context an agent needs, and the buttons to act on it.

A card is drawn once from the `HandoffPacket`; later states (claimed, resolved, back to
the bot) keep its context blocks and replace only the status line and the buttons.

The bot's and agents' messages are stored as Markdown, which Slack does not read (the
agent saw `**Track an order**` and `_Source: [Refunds](https://...)_` as typed): on the
card they are plain text with links in parentheses, as a mail quotes them. A customer's
words are shown as they wrote them.
"""

from __future__ import annotations

from typing import Any

from channels.handoff import HandoffPacket, PacketMessage, SentFile
from channels.rendering.markdown import LinkStyle, to_text

CLAIM = "handoff_claim"
RESOLVE = "handoff_resolve"
# Resolve the handoff but leave its ticket open (the work goes on after the chat ends).
RESOLVE_KEEP_TICKET = "handoff_resolve_keep_ticket"
BACK_TO_BOT = "handoff_back_to_bot"
STATUS_BLOCK = "handoff_status"
ACTIONS_BLOCK = "handoff_actions"
MAX_TEXT = 2900  # Slack caps a section's text at 3,000 characters

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
    return f":warning: _{escape(message.not_delivered)}_" if message.not_delivered else ""


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
        lines = [
            " ".join(
                part
                for part in (f"*{m.author}:*", _said(m), *map(sent_file_line, m.files), _unseen(m))
                if part
            )
            for m in p.last_messages
        ]
        blocks.append({"type": "section", "text": _mrkdwn("*Last messages*\n" + "\n".join(lines))})
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
