"""Where a webhook may be sent: not into our own network (SSRF).

A URL is refused when its host resolves to any address that is not globally routable:
loopback, private (RFC 1918, unique-local IPv6), link-local (cloud metadata at
169.254.169.254 included), shared (100.64/10), unspecified, multicast or reserved;
IPv4-mapped IPv6 addresses are judged as the IPv4 they carry. Hosts named in the
`WEBHOOKS__ALLOWED_HOSTS` setting are let through (a receiver on the company's own
network; the tests' local receiver).

Checked when a subscription is made or changed, and again at every send, since a name
can resolve elsewhere later. The send then goes to the address that was checked (the
URL's host stays in the Host header and TLS's server name), so a name that answers
differently a moment later (DNS rebinding) cannot slip past the check.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

__all__ = ["CheckedAddress", "RefusedAddress", "check_url"]


class RefusedAddress(ValueError):
    """The URL may not be called: the reason says why."""


@dataclass(frozen=True, slots=True)
class CheckedAddress:
    host: str
    ip: str
    port: int

    def pinned_url(self, url: str) -> str:
        """`url` with its host replaced by the checked address."""
        parts = urlsplit(url)
        ip = f"[{self.ip}]" if ":" in self.ip else self.ip
        netloc = f"{ip}:{self.port}"
        return parts._replace(netloc=netloc).geturl()

    @property
    def host_header(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port in (80, 443) else f"{host}:{self.port}"


def _refused(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return not ip.is_global or ip.is_multicast


def check_url(url: str, allowed_hosts: frozenset[str]) -> CheckedAddress:
    """Resolve the URL's host and refuse it unless every address is public or the
    host is allowed by name. Blocking (DNS): call it from a worker thread."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise RefusedAddress("a webhook URL is http or https")
    host = (parts.hostname or "").lower()
    if not host:
        raise RefusedAddress("a webhook URL needs a host")
    if parts.username or parts.password:
        raise RefusedAddress("a webhook URL carries no user name or password")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise RefusedAddress("the URL's port is not a number from 1 to 65535") from None
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise RefusedAddress(f"{host} does not resolve: {exc}") from None
    addresses = [ipaddress.ip_address(info[4][0]) for info in found]
    if host not in allowed_hosts:
        private = [str(ip) for ip in addresses if _refused(ip)]
        if private:
            raise RefusedAddress(
                f"{host} resolves to {', '.join(private)}, which is not a public address "
                "(list the host in WEBHOOKS__ALLOWED_HOSTS to allow it)"
            )
    return CheckedAddress(host=host, ip=str(addresses[0]), port=port)
