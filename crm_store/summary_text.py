"""An account summary as plain text, for chat channels (a few short lines per section)."""

from __future__ import annotations

from crm_store.summary_records import AccountSummary, CurrencyTotal

SHOWN = 5


def money(cents: int, currency: str) -> str:
    """`USD 1,234.50`: two decimals, the store keeps cents."""
    return f"{currency} {cents / 100:,.2f}"


def _value(totals: tuple[CurrencyTotal, ...]) -> str:
    if not totals:
        return "no purchases"
    return ", ".join(money(t.total_cents, t.currency) for t in totals)


def render_summary_text(summary: AccountSummary) -> str:
    s = summary
    title = s.subject.label
    if s.subject.kind == "customer" and s.account is not None:
        title = f"{title} (customer)"
    lines = [f"Summary: {title}"]
    if s.at_risk:
        lines.append("AT RISK: " + "; ".join(s.risk_reasons))
    lines.append(f"Lifecycle stage: {s.lifecycle_stage}")
    orders = "1 order" if s.order_count == 1 else f"{s.order_count} orders"
    lines.append(f"Lifetime spend: {_value(s.lifetime_value)} ({orders})")
    if s.last_purchase is not None:
        p = s.last_purchase
        lines.append(
            f"Last purchase: order {p.number} on {p.placed_at:%Y-%m-%d}, "
            f"{money(p.total_cents, p.currency)}, {p.status}"
        )
    lines.append(f"Contacts ({s.contacts_total}):")
    for c in s.contacts[:SHOWN]:
        reach = ", ".join(x for x in (c.email, c.phone) if x) or "no contact details"
        lines.append(f"  - {c.name or 'unnamed'} ({c.lifecycle_stage}): {reach}")
    if s.contacts_total > SHOWN:
        lines.append(f"  ... and {s.contacts_total - SHOWN} more")
    lines.append(
        f"Tickets: {s.open_tickets_total} open, {s.recently_closed_total} closed "
        f"in the last 30 days, {s.tickets_last_30_days} opened in the last 30 days"
    )
    for t in s.open_tickets[:SHOWN]:
        lines.append(f"  - {t.number} [{t.status}, {t.priority}] {t.subject}")
    activity = ", ".join(
        f"{a.channel} {a.inbound} in / {a.outbound} out" for a in s.interactions_last_90_days
    )
    lines.append(f"Messages in the last 90 days: {activity or 'none'}")
    if s.open_leads:
        lines.append("Open leads:")
        for lead in s.open_leads[:SHOWN]:
            owner = lead.owner_name or "no owner"
            score = lead.score_text()
            lines.append(
                f"  - {lead.interest or lead.company or 'lead'} ({lead.status}), {owner}"
                + (f": {score}" if score else "")
            )
    return "\n".join(lines)
