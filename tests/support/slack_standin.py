"""A local stand-in for the Slack Web API: a real HTTP server on 127.0.0.1 that answers
the methods Switchboard calls, keeps the messages posted (with metadata, per channel and
thread), and records every call (method, arguments) for tests to assert on.

`fail_next(method, status, ...)` makes the next calls of a method answer 429 or 5xx;
`hang_next(method, seconds)` posts the message but answers only after `seconds` (longer
than the client's timeout: the answer is lost, the message is there).

`tokens`, when set, are the bot tokens Slack knows: a call with another answers
`invalid_auth`, as Slack does. `channels`, when set, are the channels the bot can see
(id -> whether it is a member); others answer `channel_not_found`. Each call records
the token it came with."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

BOT_USER = "UBOT000001"
BOT_ID = "BBOT000001"


@dataclass
class Call:
    method: str
    arguments: dict[str, Any]
    status: int = 200
    token: str | None = None


@dataclass
class Failure:
    status: int
    headers: dict[str, str]
    remaining: int


@dataclass
class SlackStandIn:
    users: dict[str, str] = field(default_factory=dict)  # Slack user id -> email
    calls: list[Call] = field(default_factory=list)
    messages: list[dict[str, Any]] = field(default_factory=list)
    responses: list[dict[str, Any]] = field(default_factory=list)  # response_url posts
    failures: dict[str, Failure] = field(default_factory=dict)
    hangs: dict[str, float] = field(default_factory=dict)
    refusals: dict[str, str] = field(default_factory=dict)
    tokens: set[str] | None = None  # None: any token is good
    channels: dict[str, bool] | None = None  # None: every channel, the bot a member
    lock: threading.Lock = field(default_factory=threading.Lock)
    _clock: float = 0.0

    # -- scripting ----------------------------------------------------------------

    def fail_next(
        self, method: str, status: int, *, times: int = 1, retry_after: int | None = None
    ) -> None:
        headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
        self.failures[method] = Failure(status, headers, times)

    def refuse_next(self, method: str, error: str) -> None:
        """Answer 200 with `ok: false` (how Slack says no for good: channel_not_found...)."""
        self.refusals[method] = error

    def hang_next(self, method: str, seconds: float) -> None:
        self.hangs[method] = seconds

    # -- reading back ---------------------------------------------------------------

    def made(self, method: str) -> list[Call]:
        with self.lock:
            return [c for c in self.calls if c.method == method]

    def posted(self, *, thread_ts: str | None = None) -> list[dict[str, Any]]:
        with self.lock:
            return [m for m in self.messages if m.get("thread_ts") == thread_ts]

    # -- answering ------------------------------------------------------------------

    def answer(
        self, method: str, arguments: dict[str, Any], token: str | None = None
    ) -> tuple[int, dict[str, str], Any]:
        with self.lock:
            failure = self.failures.get(method)
            if failure is not None and failure.remaining > 0:
                failure.remaining -= 1
                self.calls.append(Call(method, arguments, failure.status, token))
                error = "ratelimited" if failure.status == 429 else "internal_error"
                return failure.status, failure.headers, {"ok": False, "error": error}
            self.calls.append(Call(method, arguments, token=token))
            if self.tokens is not None and token not in self.tokens:
                return 200, {}, {"ok": False, "error": "invalid_auth"}
            if (
                self.channels is not None
                and method.startswith("conversations.")
                and arguments.get("channel") not in self.channels
            ):
                return 200, {}, {"ok": False, "error": "channel_not_found"}
            if method in self.refusals:
                return 200, {}, {"ok": False, "error": self.refusals.pop(method)}
            return 200, {}, self._ok(method, arguments)

    def _ts(self) -> str:
        """Slack's message ts: the time of posting, unique in the channel."""
        self._clock = max(time.time(), self._clock + 0.000001)
        return f"{self._clock:.6f}"

    def _ok(self, method: str, a: dict[str, Any]) -> dict[str, Any]:
        if method == "auth.test":
            return {
                "ok": True,
                "url": "https://standin.slack.test/",
                "team": "Stand-in",
                "user": "switchboard",
                "team_id": "T0000001",
                "user_id": BOT_USER,
                "bot_id": BOT_ID,
            }
        if method == "conversations.info":
            member = True if self.channels is None else self.channels[a["channel"]]
            return {"ok": True, "channel": {"id": a["channel"], "is_member": member}}
        if method == "chat.postMessage":
            message = {
                "type": "message",
                "channel": a["channel"],
                "ts": self._ts(),
                "text": a.get("text", ""),
                "blocks": a.get("blocks"),
                "bot_id": BOT_ID,
                "user": BOT_USER,
                "metadata": a.get("metadata"),
            }
            if a.get("thread_ts"):
                message["thread_ts"] = a["thread_ts"]
            self.messages.append(message)
            return {"ok": True, "channel": a["channel"], "ts": message["ts"], "message": message}
        if method == "chat.update":
            for message in self.messages:
                if message["channel"] == a["channel"] and message["ts"] == a["ts"]:
                    message.update(text=a.get("text", ""), blocks=a.get("blocks"))
                    return {"ok": True, "channel": a["channel"], "ts": a["ts"]}
            return {"ok": False, "error": "message_not_found"}
        if method == "chat.delete":
            for message in self.messages:
                if message["channel"] == a["channel"] and message["ts"] == a["ts"]:
                    self.messages.remove(message)
                    return {"ok": True, "channel": a["channel"], "ts": a["ts"]}
            return {"ok": False, "error": "message_not_found"}
        if method == "chat.postEphemeral":
            return {"ok": True, "message_ts": self._ts()}
        if method in ("conversations.history", "conversations.replies"):
            oldest = float(a.get("oldest") or 0)
            found = [
                m
                for m in self.messages
                if m["channel"] == a["channel"]
                and float(m["ts"]) >= oldest
                and (
                    (method == "conversations.history" and "thread_ts" not in m)
                    or (
                        method == "conversations.replies"
                        and (m.get("thread_ts") == a["ts"] or m["ts"] == a["ts"])
                    )
                )
            ]
            shown = (
                found
                if str(a.get("include_all_metadata")).lower() in ("1", "true")
                else [{k: v for k, v in m.items() if k != "metadata"} for m in found]
            )
            return {"ok": True, "messages": shown, "has_more": False}
        if method == "users.info":
            user = a.get("user", "")
            if user not in self.users:
                return {"ok": False, "error": "user_not_found"}
            return {"ok": True, "user": {"id": user, "profile": {"email": self.users[user]}}}
        return {"ok": False, "error": "unknown_method"}


class _Handler(BaseHTTPRequestHandler):
    standin: SlackStandIn

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self._handle(b"")

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self._handle(self.rfile.read(length))

    def _handle(self, raw: bytes) -> None:
        url = urlsplit(self.path)
        arguments: dict[str, Any] = dict(parse_qsl(url.query))
        if raw:
            if self.headers.get("Content-Type", "").startswith("application/json"):
                arguments.update(json.loads(raw))
            else:
                arguments.update(parse_qsl(raw.decode()))
        if url.path.startswith("/response/"):
            with self.standin.lock:
                self.standin.responses.append(arguments)
            self._reply(200, {}, "ok", "text/plain")
            return
        method = url.path.removeprefix("/api/")
        bearer = self.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        token = bearer or arguments.get("token")
        status, headers, body = self.standin.answer(method, arguments, token)
        hang = self.standin.hangs.pop(method, None)
        if hang is not None:
            time.sleep(hang)
        self._reply(status, headers, json.dumps(body), "application/json")

    def _reply(self, status: int, headers: dict[str, str], body: str, kind: str) -> None:
        data = body.encode()
        try:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up waiting (a timeout test)


class StandInServer:
    def __init__(self, standin: SlackStandIn) -> None:
        handler = type("Handler", (_Handler,), {"standin": standin})
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> StandInServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
