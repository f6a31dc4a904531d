"""A local stand-in for Twilio's REST API: records every Messages.json post and answers
like Twilio, or with the failures a test asks for (429, 500, 400 with error 21610...).

It is a real HTTP server on 127.0.0.1; the twilio library reaches it through its own
HTTP client, so requests are built, authenticated and parsed by the library's code.
"""

from __future__ import annotations

import base64
import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

_MESSAGES = re.compile(r"^/2010-04-01/Accounts/(?P<account>[^/]+)/Messages\.json$")


@dataclass(frozen=True)
class Post:
    path: str
    account: str
    auth: tuple[str, str]
    form: dict[str, str]
    answered: int


@dataclass
class TwilioStandIn:
    posts: list[Post] = field(default_factory=list)
    failures: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
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
            self.posts.append(Post(path, match["account"], auth, form, status))
        return status, body

    def start(self) -> TwilioStandIn:
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
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
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
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
