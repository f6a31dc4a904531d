"""Email unsubscribe links: `List-Unsubscribe` with one-click POST (RFC 8058), and the
page the same link opens in a browser.

Every mail the bot sends carries a link made with the server's secret for the
recipient's address (no expiry: an unsubscribe link must keep working). A POST to it
withdraws every purpose on email for that address in the consent ledger (means
`unsubscribe_link`), as SMS STOP does on SMS; delivery then sends that address nothing
more. A GET only shows a page with the button: mail scanners open links, and must not
unsubscribe anyone by it. Outside the OpenAPI document: it is for people and mail
clients, not API clients.

The token is sealed (encrypted and authenticated, Fernet), so the link does not show the
address to whoever sees it: a proxy's or a mail scanner's log, a forwarded mail. Links
made before it was sealed (signed only, the address readable in base64) keep working.

A campaign mail's link is single-use and names its ledger row (`s`): its POST withdraws
`marketing` on email only (the customer leaves the campaigns, not the support team's
answers), credits the unsubscribe to the campaign, and is recorded on the row; the same
link used again changes nothing and says so.
"""

import base64
import json
from html import escape
from typing import Annotated, Any

from anyio import to_thread
from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from itsdangerous import BadSignature, URLSafeSerializer

from bot.api.small_page import incomplete_link_page
from bot.api.small_page import small_page as _page
from crm_store import Database, campaign_unsubscribes, consents

PATH = "/unsubscribe"
_SALT = "switchboard.email.unsubscribe"
# A sealed token starts so; Fernet's own tokens start "gAAAAA", signed-only ones "ey".
_SEALED = "2."
ONE_CLICK = "List-Unsubscribe=One-Click"
PAGE_WORDING = "Stop all email from us to this address."


class UnsubscribeLinks:
    """Makes and reads the sealed unsubscribe link of an email address."""

    def __init__(self, secret: str, base_url: str = "") -> None:
        self._serializer = URLSafeSerializer(secret, salt=_SALT)  # links made before sealing
        key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_SALT.encode())
        self._fernet = Fernet(base64.urlsafe_b64encode(key.derive(secret.encode())))
        self._base_url = base_url.rstrip("/")

    def url(self, address: str) -> str:
        return f"{self._base_url}{PATH}?t={self._seal({'e': address.lower()})}"

    def campaign_url(self, address: str, send_id: int) -> str:
        """The single-use link of one campaign mail (its ledger row `send_id`)."""
        return f"{self._base_url}{PATH}?t={self._seal({'e': address.lower(), 's': send_id})}"

    def read(self, token: str) -> tuple[str, int | None] | None:
        """The address the token was made for and its campaign send, if any; None for a
        forged or altered token."""
        data = self._unseal(token) if token.startswith(_SEALED) else self._signed(token)
        found = data.get("e") if isinstance(data, dict) else None
        if not isinstance(found, str):
            return None
        send = data.get("s")
        return found, send if isinstance(send, int) else None

    def _seal(self, data: dict[str, Any]) -> str:
        # Compact and in UTF-8: escaped, every non-ASCII letter of an address took 6 bytes.
        plain = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()
        return _SEALED + self._fernet.encrypt(plain).decode()

    def _unseal(self, token: str) -> Any:
        try:
            return json.loads(self._fernet.decrypt(token[len(_SEALED) :]))
        except (InvalidToken, ValueError):
            return None

    def _signed(self, token: str) -> Any:
        try:
            return self._serializer.loads(token)
        except BadSignature:
            return None

    def address(self, token: str) -> str | None:
        """The address the token was made for; None for a forged or altered one."""
        found = self.read(token)
        return found[0] if found is not None else None


def unsubscribe_router(database: Database, links: UnsubscribeLinks) -> APIRouter:
    router = APIRouter(include_in_schema=False)
    # Optional: a link without its token gets a page saying so, not a JSON 422.
    Token = Annotated[str | None, Query(max_length=4096)]
    incomplete = (
        "unsubscribe link",
        "Please open the unsubscribe link in our email again, or copy all of it into your "
        "browser's address bar. You can also answer the email asking us to stop.",
    )

    def _withdraw(address: str, wording: str, send_id: int | None) -> bool:
        """False when a campaign link was used already (nothing is written again)."""
        with database.transaction() as session:
            source, purposes = "email unsubscribe link", consents.PURPOSES
            if send_id is not None:
                used = campaign_unsubscribes.use_token(session, send_id, address)
                if used is None:
                    return False
                source, purposes = f"campaign {used} unsubscribe link", (consents.MARKETING,)
            consents.record_consent(
                session,
                channel="email",
                address=address,
                decision=consents.WITHDRAWN,
                means="unsubscribe_link",
                source=source,
                wording=wording,
                purposes=purposes,
            )
            return True

    @router.get(PATH)
    async def unsubscribe_page(t: Token = None) -> HTMLResponse:
        if not t:
            return incomplete_link_page(*incomplete)
        address = links.address(t)
        if address is None:
            return _page("Link refused", "<h1>This unsubscribe link is not valid.</h1>", 403)
        return _page(
            "Unsubscribe",
            f"<h1>Unsubscribe {escape(address)}?</h1><p>{escape(PAGE_WORDING)}</p>"
            f'<form method="post" action="{PATH}?t={escape(t)}">'
            '<button type="submit">Unsubscribe</button></form>',
        )

    @router.post(PATH)
    async def unsubscribe(request: Request, t: Token = None) -> HTMLResponse:
        if not t:
            return incomplete_link_page(*incomplete)
        found = links.read(t)
        if found is None:
            return _page("Link refused", "<h1>This unsubscribe link is not valid.</h1>", 403)
        address, send_id = found
        body = (await request.body())[:200].decode(errors="replace")
        # A mail client's one-click POST says so in its body; a person pressed the button.
        wording = "List-Unsubscribe one-click (RFC 8058)" if ONE_CLICK in body else PAGE_WORDING
        if not await to_thread.run_sync(_withdraw, address, wording, send_id):
            return _page(
                "Already used",
                f"<h1>This link was used already: {escape(address)} gets no more of these "
                "messages.</h1>",
            )
        return _page(
            "Unsubscribed",
            f"<h1>Done: {escape(address)} gets no more email from us.</h1>"
            "<p>Write to us any time if you need help.</p>",
        )

    return router
