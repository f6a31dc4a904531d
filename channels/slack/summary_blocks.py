"""Account summaries and candidate lists in Block Kit: sections and fields, no raw JSON."""

from __future__ import annotations

from channels.slack.cards import Block, escape
from crm_store.summary_records import AccountSummary, Candidates, NoMatch
from crm_store.summary_text import money

SHOWN = 5


def _mrkdwn(text: str) -> dict[str, str]:
    return {"type": "mrkdwn", "text": text[:2900]}


def _section(title: str, lines: list[str]) -> Block:
    return {"type": "section", "text": _mrkdwn(f"*{title}*\n" + "\n".join(lines))}


def summary_blocks(summary: AccountSummary) -> list[Block]:
    s = summary
    title = s.subject.label + (" (customer)" if s.subject.kind == "customer" else "")
    value = ", ".join(money(t.total_cents, t.currency) for t in s.lifetime_value)
    last = "none"
    if s.last_purchase is not None:
        p = s.last_purchase
        last = f"{p.number}, {p.placed_at:%Y-%m-%d}, {money(p.total_cents, p.currency)}"
    activity = ", ".join(
        f"{a.channel} {a.inbound} in / {a.outbound} out" for a in s.interactions_last_90_days
    )
    orders = "1 order" if s.order_count == 1 else f"{s.order_count} orders"
    blocks: list[Block] = [
        {"type": "header", "text": {"type": "plain_text", "text": title[:150]}},
        {
            "type": "section",
            "fields": [
                _mrkdwn(f"*Stage*\n{s.lifecycle_stage}"),
                _mrkdwn(f"*Account*\n{escape(s.account.name) if s.account else 'none'}"),
                _mrkdwn(f"*Lifetime spend*\n{value or 'no purchases'} ({orders})"),
                _mrkdwn(f"*Last purchase*\n{last}"),
                _mrkdwn(
                    f"*Tickets*\n{s.open_tickets_total} open, {s.recently_closed_total} closed"
                    f" in 30 days"
                ),
                _mrkdwn(f"*Messages (90 days)*\n{activity or 'none'}"),
            ],
        },
    ]
    if s.at_risk:
        blocks.append(_section(":warning: At risk", [escape(r) for r in s.risk_reasons]))
    contacts = [
        f"• {escape(c.name or 'unnamed')} ({c.lifecycle_stage}) "
        + escape(", ".join(x for x in (c.email, c.phone) if x) or "no contact details")
        for c in s.contacts[:SHOWN]
    ]
    if s.contacts_total > SHOWN:
        contacts.append(f"… and {s.contacts_total - SHOWN} more")
    blocks.append(_section(f"Contacts ({s.contacts_total})", contacts or ["none"]))
    if s.open_tickets:
        blocks.append(
            _section(
                "Open tickets",
                [
                    f"• {t.number} [{t.status}, {t.priority}] {escape(t.subject)}"
                    for t in s.open_tickets[:SHOWN]
                ],
            )
        )
    if s.open_leads:
        blocks.append(
            _section(
                "Open leads",
                [
                    f"• {escape(lead.interest or lead.company or 'lead')} ({lead.status}), "
                    f"{escape(lead.owner_name or 'no owner')}"
                    + (f": *{escape(score)}*" if (score := lead.score_text()) else "")
                    for lead in s.open_leads[:SHOWN]
                ],
            )
        )
    blocks.append(
        {
            "type": "context",
            "elements": [_mrkdwn(f"Generated {s.generated_at:%Y-%m-%d %H:%M} UTC")],
        }
    )
    return blocks


def candidate_blocks(query: str, found: Candidates) -> list[Block]:
    lines = [f"• {escape(c.label)} ({c.kind})" for c in found.subjects]
    which = f"The first {len(found.subjects)}:" if found.more else "Which one?"
    return [
        _section(
            f"{found.count_text()} accounts or customers match “{escape(query)}”. {which}",
            lines,
        ),
        {
            "type": "context",
            "elements": [_mrkdwn("Ask again with the full name, an email or a phone number.")],
        },
    ]


def suggestion_blocks(query: str, found: NoMatch) -> list[Block]:
    """Nothing matched a name, but these are close to it (a misspelling)."""
    lines = [f"• {escape(s.label)} ({s.kind})" for s in found.suggestions]
    return [
        _section(f"No account or customer matches “{escape(query)}”. Did you mean:", lines),
        {"type": "context", "elements": [_mrkdwn("Ask again with the name as it is shown.")]},
    ]
