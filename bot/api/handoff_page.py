"""The handoff page the card links to: `/staff/handoffs/{id}?t=<signed token>`.

A small read-only HTML page of the context packet and where the handoff stands, for an
agent who clicks the card's link (a browser sends no bearer token; the signed link is
the permission, see bot/handoffs/links.py). Everything shown is escaped, and the page
loads nothing from anywhere (no scripts, inline styles only), which its
Content-Security-Policy says too. It stands in until the staff dashboard at `/staff/`.
"""

from __future__ import annotations

from html import escape
from typing import Annotated

from anyio import to_thread
from fastapi import APIRouter, Path, Query
from fastapi.responses import HTMLResponse

from bot.api.small_page import incomplete_link_page
from bot.api.staff import MAX_ID
from bot.handoffs.board import HandoffState, state_of
from bot.handoffs.links import PAGE_PATH, HandoffLinks, LinkRefused
from bot.handoffs.service import HandoffNotFound, HandoffService
from channels.handoff import HandoffPacket

_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
}
_STYLE = (
    "body{font:15px/1.45 system-ui,sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem}"
    "dt{font-weight:600}dd{margin:0 0 .5rem}li{margin:.3rem 0}.who{color:#555}"
)


def _page(title: str, body: str, status: int = 200) -> HTMLResponse:
    html = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head>"
        f"<body>{body}</body></html>"
    )
    return HTMLResponse(html, status_code=status, headers=_HEADERS)


def _details(packet: HandoffPacket, state: HandoffState) -> str:
    e = escape
    owner = state.owner_name or ("nobody yet" if state.owner_id is None else f"#{state.owner_id}")
    facts = {
        "Status": state.status,
        "Owner": owner,
        "Opened": packet.created_at.isoformat(timespec="seconds"),
        "Channel": packet.channel,
        "Reason": packet.reason,
        "Customer": packet.customer_name or "unknown",
        "Email": packet.customer_email or "",
        "Phone": packet.customer_phone or "",
        "Verified": "yes" if packet.customer_verified else "no",
        "Account": packet.account_name or "",
    }
    rows = "".join(f"<dt>{e(k)}</dt><dd>{e(v)}</dd>" for k, v in facts.items() if v)
    messages = "".join(
        f'<li><span class="who">{e(m.author)}:</span> {e(m.text)}'
        + (f" <em>({e(m.not_delivered)})</em>" if m.not_delivered else "")
        + "</li>"
        for m in packet.last_messages
    )
    tickets = "".join(
        f"<li>{e(str(t.get('number')))} {e(str(t.get('subject')))} ({e(str(t.get('status')))})</li>"
        for t in packet.open_tickets
    )
    return (
        f"<h1>Handoff #{packet.handoff_id}</h1><dl>{rows}</dl>"
        f"<h2>Summary</h2><p>{e(packet.summary)}</p>"
        f"<h2>Last messages</h2><ul>{messages or '<li>none</li>'}</ul>"
        f"<h2>Open tickets</h2><ul>{tickets or '<li>none</li>'}</ul>"
        "<p>Reply, claim or resolve in Slack or through the staff API "
        f"(<code>/api/v1/handoffs/{packet.handoff_id}</code>).</p>"
    )


def handoff_page_router(service: HandoffService, links: HandoffLinks) -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get(PAGE_PATH)
    async def handoff_page(
        handoff_id: Annotated[int, Path(ge=1, le=MAX_ID)],
        # Optional: a link without its token gets a page saying so, not a JSON 422.
        t: Annotated[str | None, Query(max_length=500)] = None,
    ) -> HTMLResponse:
        if not t:
            return incomplete_link_page(
                "handoff link",
                "Open the link on the handoff's card in Slack again, or find handoff "
                f'#{handoff_id} in the queue on the staff dashboard (<a href="/staff/">'
                "/staff/</a>).",
            )
        try:
            links.check(t, handoff_id)
        except LinkRefused as refused:
            status = 410 if refused.expired else 403
            return _page("Link refused", f"<h1>{escape(str(refused))}</h1>", status)
        try:
            packet = await to_thread.run_sync(service.packet, handoff_id)
        except HandoffNotFound:
            return _page("Not found", "<h1>There is no such handoff.</h1>", 404)
        state = await to_thread.run_sync(state_of, service.database, handoff_id)
        assert state is not None  # the packet was just read
        return _page(f"Handoff #{handoff_id}", _details(packet, state))

    return router
