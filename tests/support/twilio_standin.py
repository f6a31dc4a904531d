"""A local stand-in for Twilio's REST API: records every Messages.json post and answers
like Twilio, or with the failures a test asks for (429, 500, 400 with error 21610...),
or as an outage (`down`: every post answered 503 until it is back). It also answers the
message list (GET Messages.json filtered by To and DateSent>), recording each query,
and deletes Message resources (DELETE Messages/{sid}.json), recording each SID.

It is a real HTTP server on 127.0.0.1; the twilio library reaches it through its own
HTTP client, so requests are built, authenticated and parsed by the library's code.

It also answers the start-up check's GETs (the account, the account's numbers, a
Messaging Service), recorded in `gets`. With `credentials` set, other credentials get
Twilio's 401 (error 20003); `numbers` and `services`, when set, are what the account owns.
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
_MESSAGE = re.compile(r"^/2010-04-01/Accounts/(?P<account>[^/]+)/Messages/(?P<sid>[^/]+)\.json$")
_ACCOUNT = re.compile(r"^/2010-04-01/Accounts/(?P<account>[^/]+)\.json$")
_NUMBERS = re.compile(r"^/2010-04-01/Accounts/(?P<account>[^/]+)/IncomingPhoneNumbers\.json$")
_SERVICE = re.compile(r"^/v1/Services/(?P<service>[^/]+)$")
UNAUTHORIZED = {
    "code": 20003,
    "message": "Authenticate",
    "more_info": "https://www.twilio.com/docs/errors/20003",
    "status": 401,
}


def _missing_parameter(form: dict[str, str]) -> dict[str, Any] | None:
    """Twilio's 400 for a Messages.json post without a recipient or content."""
    if not form.get("To"):
        code, message = 21604, "A 'To' phone number is required."
    elif not form.get("Body") and not form.get("MediaUrl") and not form.get("ContentSid"):
        code, message = 21602, "Message body is required."
    else:
        return None
    return {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": 400,
    }


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
    credentials: tuple[str, str] | None = None  # None: any account and token are good
    numbers: set[str] | None = None  # the account's numbers; None: any number is its
    services: set[str] | None = None  # its Messaging Services; None: any
    gets: list[tuple[str, tuple[str, str]]] = field(default_factory=list)
    hang_next_get: float = 0.0  # the next GET answers only after this many seconds
    lists: list[ListQuery] = field(default_factory=list)
    down: int | None = None  # while set, every post is answered with this status
    retry_after: str | None = None  # sent with 429 answers when set
    accept_delay: float = 0.0  # seconds between taking a message and answering (a slow API)
    deleted: list[str] = field(default_factory=list)  # message SIDs deleted (DELETE), in order
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

    def read(self, url: str, auth: tuple[str, str]) -> tuple[int, dict]:
        """A GET: the account, its numbers or a Messaging Service, as Twilio shows them."""
        with self._lock:
            self.gets.append((url, auth))
        if self.credentials is not None and auth != self.credentials:
            return 401, UNAUTHORIZED
        path, _, query = url.partition("?")
        if match := _ACCOUNT.match(path):
            sid = match["account"]
            return 200, {"sid": sid, "friendly_name": "Stand-in", "status": "active"}
        if match := _NUMBERS.match(path):
            wanted = {k: v[0] for k, v in parse_qs(query).items()}.get("PhoneNumber")
            owned = self.numbers is None or wanted in self.numbers
            found = [{"sid": "PN" + "0" * 32, "phone_number": wanted}] if owned else []
            return 200, {"incoming_phone_numbers": found, "next_page_uri": None}
        if match := _SERVICE.match(path):
            if self.services is not None and match["service"] not in self.services:
                return 404, {"code": 20404, "message": "not found", "status": 404}
            return 200, {"sid": match["service"], "friendly_name": "Stand-in service"}
        return 404, {"code": 20404, "message": "not found", "status": 404}

    def answer(self, path: str, auth: tuple[str, str], form: dict[str, str]) -> tuple[int, dict]:
        if self.credentials is not None and auth != self.credentials:
            return 401, UNAUTHORIZED
        match = _MESSAGES.match(path)
        if match is None:
            return 404, {"code": 20404, "message": "not found", "status": 404}
        with self._lock:
            if self.down is not None:
                status, body = self.down, {"code": 20500, "message": "down", "status": self.down}
            elif missing := _missing_parameter(form):
                status, body = 400, missing
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

    def delete(self, path: str, auth: tuple[str, str]) -> tuple[int, dict | None]:
        """DELETE of a Message resource: 204, or 404 once it is gone. Any SID Twilio
        could hold (SM..., MM...) is taken as held: the customer's inbound messages
        never passed through here."""
        if self.credentials is not None and auth != self.credentials:
            return 401, UNAUTHORIZED
        match = _MESSAGE.match(path)
        with self._lock:
            if match is None or match["sid"] in self.deleted:
                return 404, {"code": 20404, "message": "not found", "status": 404}
            self.deleted.append(match["sid"])
        return 204, None

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
                hang, stand_in.hang_next_get = stand_in.hang_next_get, 0.0
                time.sleep(hang)
                target = urlsplit(self.path)
                if _MESSAGES.match(target.path):  # the message list (crash recovery)
                    query = {key: values[0] for key, values in parse_qs(target.query).items()}
                    self._reply(*stand_in.message_list(target.path, query))
                else:  # the start-up check's account, numbers and services
                    self._reply(*stand_in.read(self.path, self._auth()))

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                data = self.rfile.read(length)
                if len(data) < length:
                    # The sender went away mid-request (a SIGKILL): Twilio never gets a
                    # whole message, so nothing is taken or recorded.
                    self.close_connection = True
                    return
                form = {key: values[0] for key, values in parse_qs(data.decode()).items()}
                status, body = stand_in.answer(self.path, self._auth(), form)
                if status == 201 and stand_in.accept_delay:
                    time.sleep(stand_in.accept_delay)  # taken, not yet answered
                self._reply(status, body)

            def do_DELETE(self) -> None:
                status, body = stand_in.delete(urlsplit(self.path).path, self._auth())
                if body is None:
                    self.send_response(status)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                else:
                    self._reply(status, body)

            def _auth(self) -> tuple[str, str]:
                user, _, password = (
                    base64.b64decode(self.headers.get("Authorization", "Basic ")[6:])
                    .decode()
                    .partition(":")
                )
                return user, password

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
