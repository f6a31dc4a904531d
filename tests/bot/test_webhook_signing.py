"""Signatures and the address check of outbound webhooks, without a database: a
signature the `standardwebhooks` reference library accepts, and URLs into private
networks refused (SSRF)."""

from __future__ import annotations

import time

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from bot.webhooks.addresses import RefusedAddress, check_url
from bot.webhooks.signing import new_secret, signature_headers


def test_a_signature_verifies_with_the_reference_library() -> None:
    secret = new_secret()
    assert secret.startswith("whsec_")
    body = '{"type":"message.created","timestamp":"2026-11-29T10:00:00+00:00","data":{"a":1}}'
    headers = signature_headers(secret, "msg_1", int(time.time()), body)
    assert headers["webhook-signature"].startswith("v1,")
    assert Webhook(secret).verify(body, headers)["data"] == {"a": 1}
    with pytest.raises(WebhookVerificationError):
        Webhook(new_secret()).verify(body, headers)  # another secret
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(body.replace("1}", "2}"), headers)  # another body


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/hook",
        "http://localhost:8080/hook",
        "http://10.0.0.5/hook",
        "http://192.168.1.1/hook",
        "http://172.16.3.4/hook",
        "http://169.254.169.254/latest/meta-data/",  # cloud metadata
        "http://100.64.0.1/hook",  # carrier-grade NAT
        "http://0.0.0.0/hook",
        "http://[::1]/hook",
        "http://[fe80::1]/hook",
        "http://[fd00::1]/hook",
        "http://[::ffff:127.0.0.1]/hook",  # IPv4-mapped loopback
        "http://2130706433/hook",  # 127.0.0.1 as one number
        "http://0x7f.1/hook",
    ],
)
def test_urls_into_private_networks_are_refused(url: str) -> None:
    with pytest.raises(RefusedAddress):
        check_url(url, frozenset())


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("ftp://example.com/x", "http or https"),
        ("file:///etc/passwd", "http or https"),
        ("http://user:pw@93.184.216.34/", "user name"),
        ("http:///x", "needs a host"),
        ("http://93.184.216.34:99999/", "port"),
    ],
)
def test_urls_that_are_not_plain_http_are_refused(url: str, reason: str) -> None:
    with pytest.raises(RefusedAddress, match=reason):
        check_url(url, frozenset())


def test_a_public_address_passes_and_an_allowed_host_may_be_private() -> None:
    public = check_url("https://93.184.216.34/hooks?a=1", frozenset())
    assert (public.ip, public.port) == ("93.184.216.34", 443)
    allowed = check_url("http://127.0.0.1:8123/hooks", frozenset({"127.0.0.1"}))
    assert allowed.pinned_url("http://127.0.0.1:8123/hooks") == "http://127.0.0.1:8123/hooks"
    assert allowed.host_header == "127.0.0.1:8123"
    with pytest.raises(RefusedAddress, match="WEBHOOKS__ALLOWED_HOSTS"):
        check_url("http://127.0.0.1:8123/hooks", frozenset({"receiver.internal"}))
