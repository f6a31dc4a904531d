"""Who is asking: the client address a per-address limit is counted against.

The socket peer, unless the peer is one of the configured trusted proxies: then the
`X-Forwarded-For` chain is read from the right (the hop nearest to us) past every
trusted proxy, and the first address not trusted is the client. Anyone can write an
`X-Forwarded-For` header, so it is never read from a peer that is not trusted.

(uvicorn itself already replaces the peer with the forwarded address when the peer is
in its `FORWARDED_ALLOW_IPS`, 127.0.0.1 by default: a proxy on the same machine needs no
setting here; one on another host does.)

IPv6 clients are counted per /64 network: one subscriber usually holds a whole /64, so
counting single addresses would let one client pose as billions.

A peer not trusted that sends `X-Forwarded-For` is logged once (a load balancer left out
of the setting: every visitor behind it then shares its limits, and the 61st new widget
in a minute got 429 with nothing in the log to say why); the first few such peers only,
since a client can send the header too. Not when the peer is one of the header's hops:
then uvicorn has put the forwarded address in its place.
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Sequence

from starlette.requests import HTTPConnection

__all__ = ["ClientAddress"]

log = logging.getLogger(__name__)

# Peers not trusted whose X-Forwarded-For is logged, at most: a proxy left out of the
# setting is among the first to send it; clients writing the header could be many.
UNTRUSTED_PEERS_LOGGED = 8

_Network = ipaddress.IPv4Network | ipaddress.IPv6Network
_Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class ClientAddress:
    """Finds a connection's client address, trusting `X-Forwarded-For` only from
    `trusted_proxies` (addresses or networks, e.g. "10.0.0.0/8")."""

    def __init__(self, trusted_proxies: Sequence[str] = ()) -> None:
        self._trusted = tuple(
            ipaddress.ip_network(p.strip(), strict=False) for p in trusted_proxies
        )
        self._untrusted_logged: set[str] = set()

    def __call__(self, connection: HTTPConnection) -> str:
        """The key a per-address limit counts this connection against."""
        peer = connection.client.host if connection.client else ""
        current = _parse(peer)
        if current is None:
            return peer or "unknown"  # not an IP (a test client, a Unix socket)
        if self._is_trusted(current):
            forwarded = ",".join(connection.headers.getlist("x-forwarded-for"))
            for hop in reversed([part.strip() for part in forwarded.split(",") if part.strip()]):
                address = _parse(hop)
                if address is None:
                    break  # a broken chain: count it against the last proxy we trust
                current = address
                if not self._is_trusted(current):
                    break
        elif "x-forwarded-for" in connection.headers:
            forwarded = ",".join(connection.headers.getlist("x-forwarded-for"))
            hops = {_parse(part.strip()) for part in forwarded.split(",")}
            # uvicorn has read the header already when the peer is one of its hops (a
            # proxy on this machine, in its FORWARDED_ALLOW_IPS): nothing was missed.
            if current not in hops:
                self._log_untrusted(str(current))
        return _key(current)

    def _log_untrusted(self, peer: str) -> None:
        if peer in self._untrusted_logged or len(self._untrusted_logged) >= UNTRUSTED_PEERS_LOGGED:
            return
        self._untrusted_logged.add(peer)
        log.warning(
            f"requests from {peer} carry X-Forwarded-For, which is not read: {peer} is not "
            "in SWITCHBOARD_RATE_LIMITS__TRUSTED_PROXIES, so every client behind it counts "
            "as that one address against the per-address rate limits; if it is your load "
            "balancer or reverse proxy, add it there (logged once per address)",
            extra={"peer": peer},
        )

    def _is_trusted(self, address: _Address) -> bool:
        return any(address in network for network in self._trusted)


def _parse(text: str) -> _Address | None:
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _key(address: _Address) -> str:
    if isinstance(address, ipaddress.IPv6Address):
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)
