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
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

from starlette.requests import HTTPConnection

__all__ = ["ClientAddress"]

_Network = ipaddress.IPv4Network | ipaddress.IPv6Network
_Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class ClientAddress:
    """Finds a connection's client address, trusting `X-Forwarded-For` only from
    `trusted_proxies` (addresses or networks, e.g. "10.0.0.0/8")."""

    def __init__(self, trusted_proxies: Sequence[str] = ()) -> None:
        self._trusted = tuple(
            ipaddress.ip_network(p.strip(), strict=False) for p in trusted_proxies
        )

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
        return _key(current)

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
