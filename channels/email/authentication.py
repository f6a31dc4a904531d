"""Who really sent a mail: the receiving system's `Authentication-Results` (RFC 8601).

A From address is only a claim: anyone can write any address there. A mail's sender is
taken as proven only when a receiver this deployment trusts vouches for it, in the
Authentication-Results header it added: `dmarc=pass` for the From domain, or
`dkim=pass` with a signing domain (`header.d`, or `header.i`'s domain) aligned with the
From domain (the same domain, or one the From domain is a subdomain of) where the same
header reports no DMARC failure. Or when the relay that posted the mail to the webhook
says so itself (its `sender_verdict`).

Which header counts (RFC 8601 section 5): only one whose authserv-id is configured as
trusted, and of those only the topmost. A receiver prepends its header, so the topmost
one with its id is its own; any further one with the same id was already in the mail
when it arrived, and may have been written by the sender. Headers of other authserv-ids
are ignored, wherever they are. A receiver that splits its results over several headers
(one per milter) should be trusted for the one with the DMARC result, which is added
last and so sits on top. Microsoft 365 writes its results with no authserv-id at all;
such a header names no receiver and never counts.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from email.message import Message
from email.utils import getaddresses
from typing import Any

from channels.email.authentication_results import (
    AuthenticationResults,
    authentication_headers,
)

RELAY = "relay"  # `by` of a verdict the webhook's relay gave


@dataclass(frozen=True, slots=True)
class SenderAuthentication:
    """What is known of the sender: `verified` only when a trusted receiver or the relay
    vouched for the From address; `detail` says what decided it, for the record."""

    verified: bool
    detail: str
    by: str | None = None  # the trusted authserv-id, or "relay"
    method: str | None = None  # "dmarc", "dkim" or "relay" when verified

    def to_json(self) -> dict[str, Any]:
        return {
            "verified": self.verified,
            "by": self.by,
            "method": self.method,
            "detail": self.detail,
        }


def trusted_id(authserv_id: str | None, trusted: Iterable[str]) -> bool:
    """Is this authserv-id one of the trusted ones? `*.example.com` trusts every
    subdomain of example.com (receivers such as mx1..mx9.example.com)."""
    if not authserv_id:
        return False
    authserv_id = authserv_id.lower()
    for pattern in trusted:
        pattern = pattern.strip().lower()
        if not pattern:
            continue
        if pattern.startswith("*."):
            if authserv_id.endswith(pattern[1:]) and len(authserv_id) > len(pattern) - 1:
                return True
        elif authserv_id == pattern:
            return True
    return False


def _aligned(signing_domain: str, from_domain: str) -> bool:
    """DKIM alignment without a public suffix list: the same domain, or the From domain
    is a subdomain of the signing domain (a bare top-level domain never aligns)."""
    signing_domain = signing_domain.strip().lower().rstrip(".")
    if not signing_domain or "." not in signing_domain:
        return False
    return from_domain == signing_domain or from_domain.endswith("." + signing_domain)


def _domain_of(value: str | None) -> str:
    return (value or "").rpartition("@")[2].strip().lower().rstrip(".")


def _from_addresses(message: Message) -> list[str]:
    values = [str(value) for key, value in message.raw_items() if key.lower() == "from"]
    try:
        pairs = getaddresses(values)
    except Exception:
        return []
    return [address for _, address in pairs if address]


def verdict_of(results: AuthenticationResults, from_domain: str) -> SenderAuthentication:
    """What one trusted receiver's header says about a From domain."""
    by = results.authserv_id
    dmarc_failed = False
    for dmarc in results.of("dmarc"):
        header_from = _domain_of(dmarc.get("header.from"))
        if dmarc.result == "pass" and header_from == from_domain:
            return SenderAuthentication(True, f"dmarc=pass header.from={from_domain}", by, "dmarc")
        dmarc_failed = dmarc_failed or dmarc.result == "fail"
    # DKIM stands in where the domain publishes no DMARC policy (dmarc=none) or the
    # receiver checks none; never against a DMARC failure (a strict policy can fail a
    # signature that relaxed alignment would take).
    for dkim in [] if dmarc_failed else results.of("dkim"):
        if dkim.result != "pass":
            continue
        for name in ("header.d", "header.i"):
            signer = _domain_of(dkim.get(name))
            if signer and _aligned(signer, from_domain):
                return SenderAuthentication(True, f"dkim=pass {name}={signer}", by, "dkim")
    seen = " ".join(f"{r.method}={r.result}" for r in results.results) or "none"
    return SenderAuthentication(
        False, f"no dmarc=pass or aligned dkim=pass for {from_domain} ({seen})", by
    )


def authenticate_sender(
    message: Message,
    *,
    sender: str | None = None,
    trusted_authserv_ids: Iterable[str] = (),
    relay_verdict: str | None = None,
) -> SenderAuthentication:
    """Is the mail's From address proven? See the module docstring for the rules.

    `sender`: the From address as the caller read it, the one it will act on. A From
    header that reads as something else here (two addresses, or one another parser
    reads differently) is never proven: what was checked must be what is used.
    """
    trusted = [t for t in trusted_authserv_ids if t.strip()]
    senders = _from_addresses(message)
    if len(senders) != 1 or "@" not in senders[0]:
        return SenderAuthentication(False, f"the mail has {len(senders)} From addresses")
    if sender is not None and senders[0].strip().lower() != sender.strip().lower():
        return SenderAuthentication(False, "the From header reads as two different addresses")
    from_domain = _domain_of(senders[0])
    if relay_verdict is not None:
        verdict = relay_verdict.strip().lower()
        if verdict == "pass":
            return SenderAuthentication(True, "the relay's verdict: pass", RELAY, RELAY)
        return SenderAuthentication(False, f"the relay's verdict: {verdict}", RELAY)
    if not trusted:
        return SenderAuthentication(False, "no trusted receiver is configured")
    for results in authentication_headers(message):
        if trusted_id(results.authserv_id, trusted):
            return verdict_of(results, from_domain)  # the topmost trusted one decides
    return SenderAuthentication(False, "no Authentication-Results from a trusted receiver")
