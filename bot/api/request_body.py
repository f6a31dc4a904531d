"""What the body-checking middlewares share: read a request's whole body before the app
runs, hand the app the same body again, and refuse with the API's one error shape."""

from __future__ import annotations

import json

from starlette.types import Message, Receive, Send

from bot.api.errors import error_body

__all__ = ["BodyTooLarge", "read_body", "refuse", "replaying"]


class BodyTooLarge(Exception):
    """The body went past the limit while it was being read; `read` is what was."""

    def __init__(self, read: bytes = b"") -> None:
        super().__init__("body too large")
        self.read = read


async def read_body(receive: Receive, limit: int | None = None) -> bytes | None:
    """The whole body, or None when the client went away first. Past `limit` bytes it
    raises `BodyTooLarge` without reading further."""
    body = b""
    more = True
    while more:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        body += message.get("body", b"")
        more = message.get("more_body", False)
        if limit is not None and len(body) > limit:
            raise BodyTooLarge(body)
    return body


def replaying(body: bytes, receive: Receive) -> Receive:
    """A `receive` that gives the app the body already read, then what comes after."""
    replayed = False

    async def replay() -> Message:
        nonlocal replayed
        if not replayed:
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


async def refuse(send: Send, status: int, reason: str) -> None:
    """Answer `status` with `{"error": reason, "detail": reason}` before the app runs."""
    payload = json.dumps(error_body(reason)).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(payload)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})
