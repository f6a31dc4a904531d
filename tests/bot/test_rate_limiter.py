"""The token buckets and the client address, driven by a clock the test moves by hand."""

from __future__ import annotations

import random

import pytest
from starlette.requests import HTTPConnection

from bot.api.client_address import UNTRUSTED_PEERS_LOGGED, ClientAddress
from bot.api.rate_limits import RateLimiter
from bot.settings import RateLimitSettings, Settings
from tests.support.manual_clock import ManualClock


def test_a_burst_is_allowed_then_refused_with_the_time_to_wait() -> None:
    clock = ManualClock()
    limiter = RateLimiter(per_minute=60, burst=5, clock=clock)
    assert [limiter.take("visitor") for _ in range(5)] == [0.0] * 5
    assert limiter.take("visitor") == pytest.approx(1.0)  # one token a second
    clock.advance(0.25)
    assert limiter.take("visitor") == pytest.approx(0.75)  # a refusal takes nothing
    clock.advance(0.75)
    assert limiter.take("visitor") == 0.0
    assert limiter.take("someone else") == 0.0  # each key has its own bucket


def test_a_person_typing_is_never_limited_but_a_burst_from_the_same_session_is() -> None:
    """The default message limit against an hour of a fast typist (a message every 2-5 s,
    with a tab that resends its pending messages after a reconnect), then a script."""
    clock = ManualClock()
    rate = RateLimitSettings().webchat_messages
    limiter = RateLimiter(rate.per_minute, rate.burst, clock=clock)
    rng = random.Random(13)
    refused = 0
    for minute in range(60):
        for _ in range(15):
            clock.advance(rng.uniform(2.0, 5.0))
            refused += limiter.take("ws_ada") > 0
        if minute % 10 == 0:  # a reconnect: three tabs each resend two pending messages
            refused += sum(limiter.take("ws_ada") > 0 for _ in range(6))
    assert refused == 0
    burst = [limiter.take("ws_ada") for _ in range(200)]  # 200 at once, as in the review
    assert sum(wait > 0 for wait in burst) >= 200 - rate.burst
    assert burst[-1] > 0


def test_full_buckets_are_forgotten_and_the_table_is_bounded() -> None:
    clock = ManualClock()
    limiter = RateLimiter(per_minute=60, burst=2, clock=clock, max_keys=3)
    for key in ("a", "b", "c", "d", "e"):
        limiter.take(key)
    assert len(limiter) == 3  # the least recently used went first
    clock.advance(60)  # every bucket is full again: the same as none
    limiter.take("f")
    assert len(limiter) == 1
    assert limiter.tokens_left("a") == 2


def connection(peer: str, forwarded: str | None = None) -> HTTPConnection:
    headers = [] if forwarded is None else [(b"x-forwarded-for", forwarded.encode())]
    return HTTPConnection(
        {
            "type": "http",
            "client": (peer, 40000),
            "headers": headers,
            "path": "/",
            "query_string": b"",
        }
    )


def test_x_forwarded_for_counts_only_from_a_trusted_proxy() -> None:
    nobody = ClientAddress()
    assert nobody(connection("203.0.113.7", "198.51.100.1")) == "203.0.113.7"
    proxied = ClientAddress(["10.0.0.0/8"])
    assert proxied(connection("203.0.113.7", "198.51.100.1")) == "203.0.113.7"  # not a proxy
    assert proxied(connection("10.0.0.5", "198.51.100.1")) == "198.51.100.1"
    # A client that writes its own header gets it appended to: the hop our proxy saw counts.
    assert proxied(connection("10.0.0.5", "1.1.1.1, 198.51.100.1, 10.0.0.9")) == "198.51.100.1"
    assert proxied(connection("10.0.0.5", "garbage, 10.0.0.9")) == "10.0.0.9"
    assert proxied(connection("10.0.0.5")) == "10.0.0.5"


def test_a_proxy_not_trusted_that_forwards_is_logged_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # A load balancer left out of TRUSTED_PROXIES: every visitor counted as its address,
    # and the 61st new widget in a minute got 429 with nothing logged to say why.
    address = ClientAddress(["10.0.0.0/8"])
    with caplog.at_level("WARNING", logger="bot.api.client_address"):
        for _ in range(3):
            assert address(connection("192.0.2.10", "198.51.100.1")) == "192.0.2.10"
        address(connection("10.0.0.5", "198.51.100.1"))  # trusted: read, nothing to say
        address(connection("192.0.2.11"))  # no header: nothing to say
        # uvicorn read the header of a proxy on this machine: the peer is its client.
        address(connection("198.51.100.7", "198.51.100.7"))
    assert [r.getMessage() for r in caplog.records] == [
        "requests from 192.0.2.10 carry X-Forwarded-For, which is not read: 192.0.2.10 is "
        "not in SWITCHBOARD_RATE_LIMITS__TRUSTED_PROXIES, so every client behind it counts "
        "as that one address against the per-address rate limits; if it is your load "
        "balancer or reverse proxy, add it there (logged once per address)"
    ]


def test_only_the_first_few_peers_sending_the_header_are_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    address = ClientAddress()
    with caplog.at_level("WARNING", logger="bot.api.client_address"):
        for n in range(UNTRUSTED_PEERS_LOGGED + 5):
            address(connection(f"203.0.113.{n + 1}", "198.51.100.1"))
    assert len(caplog.records) == UNTRUSTED_PEERS_LOGGED


def test_ipv6_clients_are_counted_per_64_network() -> None:
    address = ClientAddress()
    assert address(connection("2001:db8:1:2::1")) == address(connection("2001:db8:1:2:ffff::9"))
    assert address(connection("2001:db8:1:2::1")) != address(connection("2001:db8:1:3::1"))
    assert address(connection("::ffff:192.0.2.4")) == "192.0.2.4"


def test_rate_limit_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SWITCHBOARD_RATE_LIMITS__NLU_PARSE", '{"per_minute": 120, "burst": 10}')
    monkeypatch.setenv("SWITCHBOARD_RATE_LIMITS__TRUSTED_PROXIES", '["10.0.0.0/8"]')
    limits = Settings().rate_limits
    assert (limits.nlu_parse.per_minute, limits.nlu_parse.burst) == (120, 10)
    assert limits.trusted_proxies == ["10.0.0.0/8"]
    assert limits.webchat_messages == RateLimitSettings().webchat_messages
    monkeypatch.setenv("SWITCHBOARD_RATE_LIMITS__TRUSTED_PROXIES", '["not-a-network"]')
    with pytest.raises(ValueError, match="not an address or network"):
        Settings()
