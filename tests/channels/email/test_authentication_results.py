"""Authentication-Results (RFC 8601): the parser on headers as real receivers write them,
and the verdict on a mail's From address (channels/email/authentication_results.py,
channels/email/authentication.py)."""

from __future__ import annotations

from email import message_from_bytes, policy
from email.message import Message

import pytest

from channels.email import to_inbound
from channels.email.authentication import authenticate_sender, trusted_id
from channels.email.authentication_results import (
    authentication_headers,
    parse_authentication_results,
)

# As Gmail writes it (folded, comments with ':' and parentheses inside).
GMAIL = """mx.google.com;
       dkim=pass header.i=@example.com header.s=20230601 header.b=Kq3x9+Ab;
       spf=pass (google.com: domain of grace@example.com designates 209.85.220.41 as
 permitted sender) smtp.mailfrom=grace@example.com;
       dmarc=pass (p=NONE sp=NONE dis=NONE) header.from=example.com"""
# Microsoft 365: no authserv-id at all, and ';' with no space after it.
MICROSOFT = """spf=pass (sender IP is 209.85.220.41)
 smtp.mailfrom=example.com; dkim=pass (signature was verified)
 header.d=example.com;dmarc=pass action=none header.from=example.com;compauth=pass
 reason=100"""
# Fastmail: a numbered MX as authserv-id, quoted values, policy.* properties, nested
# comment-free parentheses with commas.
FASTMAIL = """mx3.messagingengine.com;
    dkim=pass (2048-bit rsa key sha256) header.d=example.com
      header.i=@example.com header.b="Ab/cD+ef" header.a=rsa-sha256
      header.s=fm2 x-bits=2048;
    dmarc=pass policy.published-domain-policy=reject
      policy.applied-disposition=none policy.evaluated-disposition=none
      (p=reject,d=none,d.eval=none) policy.policy-from=p
      header.from=example.com;
    iprev=pass smtp.remote-ip=66.111.4.25 (out1-smtp.messagingengine.com);
    spf=pass smtp.mailfrom=grace@example.com
      smtp.helo=out1-smtp.messagingengine.com"""


def test_gmail_results_are_read_method_by_method() -> None:
    parsed = parse_authentication_results(GMAIL)
    assert parsed.authserv_id == "mx.google.com" and parsed.version is None
    assert [(r.method, r.result) for r in parsed.results] == [
        ("dkim", "pass"),
        ("spf", "pass"),
        ("dmarc", "pass"),
    ]
    dkim, spf, dmarc = parsed.results
    assert dkim.properties == {
        "header.i": "@example.com",
        "header.s": "20230601",
        "header.b": "Kq3x9+Ab",
    }
    assert spf.properties == {"smtp.mailfrom": "grace@example.com"}  # the comment is gone
    assert dmarc.get("header.from") == "example.com"


def test_microsoft_results_name_no_receiver() -> None:
    parsed = parse_authentication_results(MICROSOFT)
    assert parsed.authserv_id is None
    assert [(r.method, r.result) for r in parsed.results] == [
        ("spf", "pass"),
        ("dkim", "pass"),
        ("dmarc", "pass"),
        ("compauth", "pass"),
    ]
    assert parsed.results[2].properties == {"action": "none", "header.from": "example.com"}
    assert parsed.results[3].reason == "100"


def test_fastmail_results_with_quoted_values_and_policy_properties() -> None:
    parsed = parse_authentication_results(FASTMAIL)
    assert parsed.authserv_id == "mx3.messagingengine.com"
    dkim, dmarc, iprev, spf = parsed.results
    assert dkim.get("header.b") == "Ab/cD+ef" and dkim.get("x-bits") == "2048"
    assert dmarc.result == "pass" and dmarc.get("header.from") == "example.com"
    assert dmarc.get("policy.published-domain-policy") == "reject"
    assert iprev.get("smtp.remote-ip") == "66.111.4.25"
    assert spf.get("smtp.helo") == "out1-smtp.messagingengine.com"


@pytest.mark.parametrize(
    ("header", "authserv_id", "version", "results"),
    [
        ("example.com; none", "example.com", None, []),
        ("example.com 1; none", "example.com", "1", []),
        (  # RFC 8601 B.5: a method version, several results of one method
            "example.com; dkim/1=pass (good signature) header.d=mail-router.example.net;"
            " dkim=fail (bad signature) header.d=newyork.example.com",
            "example.com",
            None,
            [("dkim", "pass"), ("dkim", "fail")],
        ),
        (  # a quoted authserv-id, a reason holding ';' and nested comments
            '"mx.example.com" (our (inner) MX); dkim=pass reason="good; signed"'
            " (a (nested) comment) header.d=example.com",
            "mx.example.com",
            None,
            [("dkim", "pass")],
        ),
        (  # upper case, and a trailing ';'
            "MX.Example.COM; DMARC=PASS header.from=Example.com;",
            "mx.example.com",
            None,
            [("dmarc", "pass")],
        ),
        (  # garbage between resinfos is skipped to the next ';', never guessed
            "mx.example.com; ??? nonsense; spf=pass smtp.mailfrom=example.com",
            "mx.example.com",
            None,
            [("spf", "pass")],
        ),
    ],
)
def test_the_grammar_s_corners(
    header: str, authserv_id: str, version: str | None, results: list[tuple[str, str]]
) -> None:
    parsed = parse_authentication_results(header)
    assert parsed.authserv_id == authserv_id and parsed.version == version
    assert [(r.method, r.result) for r in parsed.results] == results


def test_a_reason_is_kept_apart_from_the_properties() -> None:
    parsed = parse_authentication_results(
        'mx.example.com; dkim=pass reason="good; signed" header.d=example.com'
    )
    assert parsed.results[0].reason == "good; signed"
    assert parsed.results[0].properties == {"header.d": "example.com"}


def test_an_unclosed_comment_or_quote_does_not_break_the_reader() -> None:
    assert parse_authentication_results("mx.example.com; dkim=pass (oops").results[0].result == (
        "pass"
    )
    parsed = parse_authentication_results('mx.example.com; dkim=pass header.d="example.com')
    assert parsed.results[0].get("header.d") == "example.com"


# ---------------------------------------------------------------------------------------
# The verdict on a mail


def message(*results: str, sender: str = "Grace Hopper <grace@example.com>") -> Message:
    """A mail with these Authentication-Results headers, topmost first, as received."""
    lines = [f"Authentication-Results: {value}" for value in results]
    lines += [f"From: {sender}", "To: support@acme.test", "Subject: hi", "", "hello", ""]
    parsed = message_from_bytes("\r\n".join(lines).encode(), policy=policy.default)
    assert isinstance(parsed, Message)
    return parsed


def verdict(mail: Message, *trusted: str, relay: str | None = None) -> tuple[bool, str | None]:
    found = authenticate_sender(mail, trusted_authserv_ids=trusted, relay_verdict=relay)
    return found.verified, found.method


def test_the_trusted_receivers_dmarc_pass_proves_the_sender() -> None:
    assert verdict(message(GMAIL), "mx.google.com") == (True, "dmarc")
    assert verdict(message(FASTMAIL), "*.messagingengine.com") == (True, "dmarc")
    mixed_case = message(GMAIL, sender="Grace <Grace@Example.COM>")
    assert verdict(mixed_case, "MX.Google.com") == (True, "dmarc")


def test_headers_of_other_authserv_ids_are_ignored() -> None:
    forged = message("mx.evil.test; dmarc=pass header.from=example.com")
    assert verdict(forged, "mx.google.com") == (False, None)
    # ...and with nothing trusted, nothing counts at all.
    assert verdict(message(GMAIL)) == (False, None)
    found = authenticate_sender(forged, trusted_authserv_ids=["mx.google.com"])
    assert found.detail == "no Authentication-Results from a trusted receiver"


def test_only_the_topmost_header_of_the_trusted_receiver_counts() -> None:
    # The receiver prepends its own; a "pass" with its id below it came with the mail.
    forged_below = message(
        "mx.google.com; spf=fail smtp.mailfrom=example.com; dmarc=fail header.from=example.com",
        "mx.google.com; dmarc=pass header.from=example.com",
    )
    assert verdict(forged_below, "mx.google.com") == (False, None)
    # Headers of other receivers above it (later hops) do not hide it.
    later_hop = message("internal.acme.test; spf=none", GMAIL)
    assert verdict(later_hop, "mx.google.com") == (True, "dmarc")


def test_a_header_naming_no_receiver_never_counts() -> None:
    assert verdict(message(MICROSOFT), "mx.google.com", "*.outlook.com") == (False, None)


def test_arc_authentication_results_are_not_authentication_results() -> None:
    arc = b"ARC-Authentication-Results: i=1; mx.google.com; dmarc=pass header.from=example.com\r\n"
    mail = message_from_bytes(arc + message().as_bytes(), policy=policy.default)
    assert verdict(mail, "mx.google.com") == (False, None)
    assert authentication_headers(mail) == []


@pytest.mark.parametrize(
    ("result", "proven"),
    [
        ("dmarc=pass header.from=example.org", False),  # another domain's DMARC
        ("dmarc=fail header.from=example.com", False),
        ("dmarc=bestguesspass header.from=example.com", False),
        ("dkim=pass header.d=example.com", True),  # no DMARC checked: aligned DKIM
        ("dmarc=none header.from=example.com; dkim=pass header.d=example.com", True),
        ("dkim=pass header.i=@mail.example.com", False),  # a subdomain signs, not aligned
        ("dkim=pass header.d=mail-router.example.net", False),  # someone else's signature
        ("dkim=pass header.d=com", False),  # a top-level domain aligns with nothing
        ("dkim=fail header.d=example.com", False),
        ("dmarc=fail header.from=example.com; dkim=pass header.d=example.com", False),
        ("spf=pass smtp.mailfrom=example.com", False),  # SPF is about the envelope
        ("none", False),
    ],
)
def test_what_proves_a_from_address(result: str, proven: bool) -> None:
    assert verdict(message(f"mx.acme.test; {result}"), "mx.acme.test")[0] is proven


def test_dkim_of_a_parent_domain_aligns_with_a_subdomain_sender() -> None:
    mail = message("mx.acme.test; dkim=pass header.d=example.com", sender="a@eu.example.com")
    assert verdict(mail, "mx.acme.test") == (True, "dkim")


def test_a_mail_with_two_from_addresses_is_never_proven() -> None:
    mail = message(GMAIL, sender="grace@example.com, mallory@evil.test")
    assert verdict(mail, "mx.google.com") == (False, None)


def test_the_relays_verdict_decides_when_it_gives_one() -> None:
    assert verdict(message(), relay="pass") == (True, "relay")
    assert verdict(message(GMAIL), "mx.google.com", relay="fail") == (False, None)


@pytest.mark.parametrize(
    ("authserv_id", "trusted"),
    [
        ("mx3.messagingengine.com", True),
        ("messagingengine.com", False),
        ("evilmessagingengine.com", False),
        ("mx3.messagingengine.com.evil.test", False),
        (None, False),
    ],
)
def test_a_wildcard_trusts_subdomains_only(authserv_id: str | None, trusted: bool) -> None:
    assert trusted_id(authserv_id, ["*.messagingengine.com"]) is trusted


def test_the_adapter_marks_an_unproven_sender_a_claim_and_keeps_the_verdict() -> None:
    raw = message("mx.evil.test; dmarc=pass header.from=example.com").as_bytes()
    claimed = to_inbound(raw, trusted_authserv_ids=frozenset({"mx.google.com"}))
    assert claimed.address_is_claim and not claimed.profile.verified
    assert claimed.attributes["email"]["authentication"] == {
        "verified": False,
        "by": None,
        "method": None,
        "detail": "no Authentication-Results from a trusted receiver",
    }
    proven = to_inbound(
        message(GMAIL).as_bytes(), trusted_authserv_ids=frozenset({"mx.google.com"})
    )
    assert not proven.address_is_claim and proven.profile.verified
    assert proven.attributes["email"]["authentication"]["by"] == "mx.google.com"


@pytest.mark.parametrize(
    "from_header",
    [
        "grace@example.com <mallory@example.net>",  # read here as Grace, elsewhere as Mallory
        "mallory@example.net <grace@example.com>",
        "<grace@example.com>mallory@example.net",
    ],
)
def test_a_from_header_that_reads_two_ways_is_never_proven(from_header: str) -> None:
    """A receiver may have checked one address while the bot would act on another."""
    for domain in ("example.com", "example.net"):
        raw = message(f"mx.acme.test; dmarc=pass header.from={domain}", sender=from_header)
        inbound = to_inbound(raw.as_bytes(), trusted_authserv_ids=frozenset({"mx.acme.test"}))
        assert inbound.address_is_claim and not inbound.profile.verified
    found = authenticate_sender(
        message("mx.acme.test; dmarc=pass header.from=example.com"),
        sender="someone.else@example.com",
        trusted_authserv_ids=["mx.acme.test"],
    )
    assert not found.verified and found.detail == "the From header reads as two different addresses"
