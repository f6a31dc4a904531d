"""A local stand-in for Twilio's REST API: records every Messages.json post and answers
like Twilio, or with the failures a test asks for (429, 500, 400 with error 21610...),
or as an outage (`down`: every post answered 503 until it is back). It also answers the
message list (GET Messages.json filtered by To and DateSent>), recording each query.

It is a real HTTP server on 127.0.0.1; the twilio library reaches it through its own
HTTP client, so requests are built, authenticated and parsed by the library's code.
"""

from __future__ import annotations

import base64
import contextlib
import json
import re
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

_MESSAGES = re.compile(r"^/2010-04-01/Accounts/(?P<account>[^/]+)/Messages\.json$")


@dataclass(frozen=True)
class Post:
    path: str
    account: str
    auth: tuple[str, str]
    form: dict[str, str]
    answered: int


@dataclass(frozen=True)
class ListQuery:
    """One message list request: its filters as Twilio received them."""

    account: str
    query: dict[str, str]


@dataclass
class TwilioStandIn:
    posts: list[Post] = field(default_factory=list)
    failures: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    lists: list[ListQuery] = field(default_factory=list)
    down: int | None = None  # while set, every post is answered with this status
    retry_after: str | None = None  # sent with 429 answers when set
    accept_delay: float = 0.0  # seconds between taking a message and answering (a slow API)
    _sent_at: dict[str, datetime] = field(default_factory=dict)
    _server: ThreadingHTTPServer | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def accepted(self) -> list[Post]:
        """Posts Twilio would have sent as an SMS."""
        return [post for post in self.posts if post.answered == 201]

    def fail_next(self, status: int, code: int | None = None, message: str = "") -> None:
        body = {"code": code or status, "message": message or f"HTTP {status}", "status": status}
        self.failures.append((status, body))

    def answer(self, path: str, auth: tuple[str, str], form: dict[str, str]) -> tuple[int, dict]:
        match = _MESSAGES.match(path)
        if match is None:
            return 404, {"code": 20404, "message": "not found", "status": 404}
        with self._lock:
            if self.down is not None:
                status, body = self.down, {"code": 20500, "message": "down", "status": self.down}
            else:
                status, body = self.failures.pop(0) if self.failures else (201, {})
            if status == 201:
                sid = f"SM{len(self.accepted) + 1:032x}"
                body = {
                    "sid": sid,
                    "account_sid": match["account"],
                    "to": form.get("To"),
                    "from": form.get("From"),
                    "body": form.get("Body"),
                    "status": "queued",
                    "num_segments": "1",
                    "direction": "outbound-api",
                }
                self._sent_at[sid] = datetime.now(UTC)
            self.posts.append(Post(path, match["account"], auth, form, status))
        return status, body

    def message_list(self, path: str, query: dict[str, str]) -> tuple[int, dict]:
        """Twilio's message list: the accepted messages, newest first, filtered by `To`
        and `DateSent>` (every accepted message counts as sent at once)."""
        match = _MESSAGES.match(path)
        if match is None:
            return 404, {"code": 20404, "message": "not found", "status": 404}
        after = query.get("DateSent>")
        since = datetime.fromisoformat(after.replace("Z", "+00:00")) if after else None
        with self._lock:
            self.lists.append(ListQuery(match["account"], dict(query)))
            messages = []
            for number, post in enumerate(self.accepted, start=1):
                sid = f"SM{number:032x}"
                sent = self._sent_at[sid]
                if query.get("To") not in (None, post.form.get("To")):
                    continue
                if since is not None and sent < since:
                    continue
                messages.append(
                    {
                        "sid": sid,
                        "account_sid": match["account"],
                        "to": post.form.get("To"),
                        "from": post.form.get("From"),
                        "body": post.form.get("Body"),
                        "status": "sent",
                        "date_created": format_datetime(sent),
                        "date_sent": format_datetime(sent),
                        "direction": "outbound-api",
                    }
                )
        messages.reverse()
        return 200, {
            "messages": messages,
            "next_page_uri": None,
            "previous_page_uri": None,
            "first_page_uri": path,
            "uri": path,
            "page": 0,
            "page_size": 50,
            "start": 0,
            "end": max(len(messages) - 1, 0),
        }

    def start(self) -> TwilioStandIn:
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                target = urlsplit(self.path)
                query = {key: values[0] for key, values in parse_qs(target.query).items()}
                status, body = stand_in.message_list(target.path, query)
                self._reply(status, body)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                raw = self.rfile.read(length).decode()
                form = {key: values[0] for key, values in parse_qs(raw).items()}
                user, _, password = (
                    base64.b64decode(self.headers.get("Authorization", "Basic ")[6:])
                    .decode()
                    .partition(":")
                )
                status, body = stand_in.answer(self.path, (user, password), form)
                if status == 201 and stand_in.accept_delay:
                    time.sleep(stand_in.accept_delay)  # taken, not yet answered
                self._reply(status, body)

            def _reply(self, status: int, body: dict) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                if status == 429 and stand_in.retry_after is not None:
                    self.send_header("Retry-After", stand_in.retry_after)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                # A client that went away (a killed server) is no error of Twilio's.
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.wfile.write(data)

            def log_message(self, *_: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
