"""A webhook receiver as a subscriber runs one: a real HTTP server on 127.0.0.1 that
verifies every request with the `standardwebhooks` package (the reference library a
receiver would use) and records what it took. It can be started late (the receiver is
down until then) and told to answer an error status."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks.webhooks import Webhook, WebhookVerificationError


@dataclass
class WebhookReceiver:
    """Listens on `port` once `start()` is called; `received` holds the verified events
    (`webhook-id`, payload) in arrival order, `refused` the requests that did not verify."""

    port: int
    secret: str
    answer_status: int = 204
    received: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    _server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks"

    def start(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", "0")))
                headers = {key.lower(): value for key, value in self.headers.items()}
                try:
                    payload = Webhook(receiver.secret).verify(body, headers)
                except WebhookVerificationError as exc:
                    receiver.refused.append(str(exc))
                    self.send_response(400)
                    self.end_headers()
                    return
                if receiver.answer_status < 300:
                    receiver.received.append((headers["webhook-id"], payload))
                self.send_response(receiver.answer_status)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def types_of(self, subject_key: str, value: Any) -> list[str]:
        """The event types received whose data has `subject_key` == `value`, in order."""
        return [p["type"] for _, p in self.received if p["data"].get(subject_key) == value]
