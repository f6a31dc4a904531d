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
from dataclasses import dataclass, field
from email.message import Message
from email.utils import getaddresses
from typing import Any

HEADER = "Authentication-Results"
RELAY = "relay"  # `by` of a verdict the webhook's relay gave


@dataclass(frozen=True, slots=True)
class MethodResult:
    """One resinfo: `dkim=pass (comment) header.d=example.com header.s=s1`."""

    method: str  # lower-case, without a method version ("dkim", not "dkim/1")
    result: str  # lower-case: pass, fail, none, neutral, temperror, ...
    reason: str | None = None
    properties: dict[str, str] = field(default_factory=dict)  # "header.from" -> value

    def get(self, name: str) -> str | None:
        return self.properties.get(name)


@dataclass(frozen=True, slots=True)
class AuthenticationResults:
    """One Authentication-Results header. `authserv_id` is None for a header that names
    no receiver (Microsoft 365 writes them that way)."""

    authserv_id: str | None
    version: str | None = None
    results: tuple[MethodResult, ...] = ()

    def of(self, method: str) -> list[MethodResult]:
        return [result for result in self.results if result.method == method]


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


# ---------------------------------------------------------------------------------------
# Parsing


class _Scanner:
    """Reads an RFC 8601 payload: values, quoted strings, and CFWS (folding white space
    and comments, which nest and may hold quoted pairs) skipped between them."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def at_end(self) -> bool:
        return self.pos >= len(self.text)

    def peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def skip_cfws(self) -> None:
        text = self.text
        while self.pos < len(text):
            char = text[self.pos]
            if char in " \t\r\n":
                self.pos += 1
            elif char == "(":
                self._skip_comment()
            else:
                return

    def _skip_comment(self) -> None:
        depth = 0
        text = self.text
        while self.pos < len(text):
            char = text[self.pos]
            if char == "\\":
                self.pos += 2
                continue
            self.pos += 1
            if char == "(":
                depth += 1
            elif char == ")":
                depth -= 1
                if depth == 0:
                    return
        # an unclosed comment runs to the end

    def take(self, char: str) -> bool:
        if self.peek() == char:
            self.pos += 1
            return True
        return False

    def value(self, stops: str = "") -> str | None:
        """A quoted string (unquoted) or a run of characters up to white space, a
        comment, ';', '"' or any of `stops`; None when there is none here."""
        if self.peek() == '"':
            return self._quoted()
        start = self.pos
        text = self.text
        while self.pos < len(text) and text[self.pos] not in ' \t\r\n();"' + stops:
            self.pos += 1
        return text[start : self.pos] if self.pos > start else None

    def _quoted(self) -> str:
        self.pos += 1  # the opening quote
        out = []
        text = self.text
        while self.pos < len(text):
            char = text[self.pos]
            if char == "\\" and self.pos + 1 < len(text):
                out.append(text[self.pos + 1])
                self.pos += 2
                continue
            self.pos += 1
            if char == '"':
                break
            out.append(char)
        return "".join(out)

    def skip_to_semicolon(self) -> None:
        """Past something unreadable, to the next resinfo (quotes and comments kept
        whole, so a ';' inside them is not taken for a separator)."""
        while not self.at_end() and self.peek() != ";":
            self.skip_cfws()
            if self.at_end() or self.peek() == ";":
                return
            if self.value() is None:
                self.pos += 1


def parse_authentication_results(value: str) -> AuthenticationResults:
    """One header's payload (the part after `Authentication-Results:`), read leniently:
    what cannot be read is skipped up to the next `;`, never guessed."""
    scanner = _Scanner(value.replace("\r\n", " ").replace("\n", " "))
    scanner.skip_cfws()
    start = scanner.pos
    authserv_id = scanner.value(stops="=")
    scanner.skip_cfws()
    version = None
    if authserv_id is not None and scanner.peek() == "=":
        # No authserv-id: the payload starts with a resinfo ("spf=pass ...").
        authserv_id = None
        scanner.pos = start
        results = _resinfos(scanner, first_needs_semicolon=False)
    else:
        if scanner.peek() not in (";", ""):
            word = scanner.value()
            if word is not None and word.isdigit():
                version = word
            scanner.skip_cfws()
        results = _resinfos(scanner, first_needs_semicolon=True)
    return AuthenticationResults(
        authserv_id=authserv_id.lower() if authserv_id else None,
        version=version,
        results=tuple(results),
    )


def _resinfos(scanner: _Scanner, *, first_needs_semicolon: bool) -> list[MethodResult]:
    results: list[MethodResult] = []
    needs_semicolon = first_needs_semicolon
    while True:
        scanner.skip_cfws()
        if scanner.at_end():
            return results
        if needs_semicolon and not scanner.take(";"):
            scanner.skip_to_semicolon()
            continue
        needs_semicolon = True
        scanner.skip_cfws()
        if scanner.at_end():
            return results
        found = _resinfo(scanner)
        if found is not None:
            results.append(found)
        else:
            scanner.skip_to_semicolon()


def _resinfo(scanner: _Scanner) -> MethodResult | None:
    """`method[/version] = result [reason=value] [ptype.property=value ...]`; None for
    `none` (no results) and for anything unreadable."""
    method = scanner.value(stops="=")
    if method is None:
        return None
    scanner.skip_cfws()
    if not scanner.take("="):
        return None  # "none", or garbage
    scanner.skip_cfws()
    result = scanner.value(stops="=")
    if result is None:
        return None
    reason: str | None = None
    properties: dict[str, str] = {}
    while True:
        scanner.skip_cfws()
        if scanner.at_end() or scanner.peek() == ";":
            break
        key = scanner.value(stops="=")
        if key is None:
            scanner.pos += 1  # a stray character: step over it
            continue
        scanner.skip_cfws()
        if not scanner.take("="):
            continue  # a word with no value: not a property
        scanner.skip_cfws()
        # A property value may itself hold '=' (base64 signature fragments).
        found = scanner.value() or ""
        if key.lower() == "reason":
            reason = found
        else:
            properties.setdefault(key.lower(), found)
    return MethodResult(
        method=method.split("/", 1)[0].strip().lower(),
        result=result.lower(),
        reason=reason,
        properties=properties,
    )


def authentication_headers(message: Message) -> list[AuthenticationResults]:
    """Every Authentication-Results header of a mail, topmost (newest) first."""
    return [
        parse_authentication_results(str(value))
        for key, value in message.raw_items()
        if key.lower() == HEADER.lower()
    ]


# ---------------------------------------------------------------------------------------
# The verdict


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
    trusted_authserv_ids: Iterable[str] = (),
    relay_verdict: str | None = None,
) -> SenderAuthentication:
    """Is the mail's From address proven? See the module docstring for the rules."""
    trusted = [t for t in trusted_authserv_ids if t.strip()]
    senders = _from_addresses(message)
    if len(senders) != 1 or "@" not in senders[0]:
        return SenderAuthentication(False, f"the mail has {len(senders)} From addresses")
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
