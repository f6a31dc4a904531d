"""A warning at start when production's public URL is this machine's own.

docker-compose.yml defaults SWITCHBOARD_PUBLIC_BASE_URL to http://localhost:8000 so that a
first `docker compose up` works on the operator's machine; left so in production, every
link the server sends (survey ratings, unsubscribe, the handoff card's page) opens the
reader's own computer, and nothing fails to say so. Unset is different: those links are
then left out, as the settings table says.
"""

from __future__ import annotations

import ipaddress
import logging
from urllib.parse import urlsplit

from bot.settings import Settings

__all__ = ["warn_if_public_url_is_local"]

log = logging.getLogger(__name__)


def warn_if_public_url_is_local(settings: Settings) -> bool:
    """Log a warning (and return True) when production's public URL names this machine."""
    url = settings.public_base_url
    if settings.environment != "production" or not url or not _is_local(urlsplit(url).hostname):
        return False
    log.warning(
        f"SWITCHBOARD_PUBLIC_BASE_URL is {url}: the links this server sends (survey "
        "ratings, unsubscribe, handoff pages) open the reader's own machine; set it to "
        "the https address customers and agents reach"
    )
    return True


def _is_local(host: str | None) -> bool:
    if host is None or host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_loopback or address.is_unspecified
