"""A Slack request's body, read as Bolt will read it, before Bolt does.

Bolt parses the body before it checks the signature, and a body it cannot parse (not
UTF-8, JSON that is not an object, a `payload=` form field that is not JSON) raised out
of it: a 500 that anyone could cause, with the error logged each time. Such a body is
refused here with 400 and the reason. Slack never sends one; every body Bolt can read
still goes to Bolt, whose signature check then comes first.
"""

from __future__ import annotations

from slack_bolt.request.internals import parse_body


def unreadable_reason(raw: bytes, content_type: str | None) -> str | None:
    """Why Bolt could not read this body, or None when it can."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return "the body is not UTF-8"
    media_type = content_type.split(";")[0].strip() if content_type else None
    try:
        parsed = parse_body(text, media_type)
    except ValueError:  # json.JSONDecodeError included
        return "the body is neither JSON nor a form whose payload is JSON"
    if not isinstance(parsed, dict):
        return "the body is not a JSON object"
    return None
