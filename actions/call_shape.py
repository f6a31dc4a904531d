"""What `switchboard actions serve` refuses before rasa-sdk sees it: an action call that
is not the shape Rasa sends.

rasa-sdk's webhook takes any JSON: a list or a call without its tracker raised inside
the executor (500 with a traceback in the log), and `{}` was answered 200 `null`, as if
an action had run. Rasa always sends an object with `next_action` (the action's name)
and `tracker` (with `sender_id`); anything else gets 400 with the reason, so the caller
knows what to fix and nothing runs.
"""

from __future__ import annotations

import json
import zlib
from typing import Any

from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

__all__ = ["refuse_malformed_calls", "why_malformed"]

WEBHOOK = "/webhook"
# The tracker's parts an action reads, and the JSON type each must be when present.
_TRACKER_PARTS: dict[str, type] = {
    "slots": dict,
    "latest_message": dict,
    "events": list,
    "active_loop": dict,
}


def why_malformed(call: Any) -> str | None:
    """Why `call` (decoded JSON) is not a Rasa action call; None when it is one."""
    if not isinstance(call, dict):
        return f"an action call is a JSON object, not {type(call).__name__}"
    action = call.get("next_action")
    if not isinstance(action, str) or not action:
        return "next_action (the name of the action to run) is missing or not a string"
    tracker = call.get("tracker")
    if not isinstance(tracker, dict):
        return "tracker (the conversation's state) is missing or not an object"
    if not isinstance(tracker.get("sender_id"), str):
        return "tracker.sender_id is missing or not a string"
    for part, kind in _TRACKER_PARTS.items():
        if tracker.get(part) is not None and not isinstance(tracker[part], kind):
            return f"tracker.{part} must be a JSON {'object' if kind is dict else 'array'}"
    domain = call.get("domain")
    if domain is not None and not isinstance(domain, dict):
        return "domain must be a JSON object"
    return None


def _decoded(request: Request) -> tuple[Any, str | None]:
    """The request's JSON (inflated when sent deflated, as rasa-sdk reads it), or why not."""
    body = request.body
    if request.headers.get("Content-Encoding") == "deflate":
        try:
            body = zlib.decompress(body)
        except zlib.error as exc:
            return None, f"the body is not deflate data: {exc}"
    try:
        return json.loads(body), None
    except (ValueError, UnicodeDecodeError) as exc:
        return None, f"the body is not JSON: {exc}"


def refuse_malformed_calls(app: Sanic) -> None:
    """Answer 400 with the reason to a POST /webhook that is not a Rasa action call."""

    @app.on_request
    async def check_call(request: Request) -> HTTPResponse | None:
        if request.method != "POST" or request.path != WEBHOOK:
            return None
        call, unreadable = _decoded(request)
        reason = unreadable or why_malformed(call)
        return None if reason is None else response.json({"error": reason}, status=400)
