"""The twilio library's HTTP client, as the SMS sender uses it: sending to another base
URL where one is set (a regional proxy, the tests' stand-in), and keeping Twilio's
`Retry-After` of a 429, which the library's exceptions drop, for the thread that made
the request (the sender runs each request in a worker thread)."""

from __future__ import annotations

import logging
import threading
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response

TWILIO_API = "https://api.twilio.com"


class TwilioHttp(TwilioHttpClient):
    """`TwilioHttpClient` that remembers each thread's last `Retry-After` and may send to
    `base_url` instead of api.twilio.com."""

    def __init__(self, base_url: str = TWILIO_API, *, timeout: float) -> None:
        super().__init__(timeout=timeout, logger=library_log())
        base = base_url.rstrip("/")
        self._base = urlsplit(base) if base != TWILIO_API else None
        self._waits = threading.local()

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Response:
        if self._base is not None:
            target = urlsplit(url)
            url = urlunsplit(
                (
                    self._base.scheme,
                    self._base.netloc,
                    self._base.path + target.path,
                    target.query,
                    "",
                )
            )
        self._waits.retry_after = None
        response = super().request(method, url, *args, **kwargs)
        self._waits.retry_after = _seconds((response.headers or {}).get("Retry-After"))
        return response

    def retry_after(self) -> float | None:
        """The `Retry-After` (seconds) of this thread's last answer, if it had one."""
        return getattr(self._waits, "retry_after", None)


def library_log() -> logging.Logger:
    """The twilio library logs eight INFO lines per request; our own log has one line per
    send (the delivery worker's), so the library's speaks up only for warnings."""
    library = logging.getLogger("channels.sms.twilio_library")
    library.setLevel(logging.WARNING)
    return library


def _seconds(value: object) -> float | None:
    try:
        seconds = float(str(value))
    except (TypeError, ValueError):
        return None  # absent, or an HTTP date (Twilio sends seconds)
    return seconds if seconds >= 0 else None
