"""The Slack start-up check: the bot token is good (`auth.test`) and the bot can see the
handoff channel, where its cards go and where agents answer in threads.

`conversations.info` needs `channels:read`/`groups:read`, which the app manifest does
not ask for; when Slack answers `missing_scope`, `conversations.history` (one message,
under the `*:history` scopes the manifest has) tells the same: `channel_not_found` or
`not_in_channel` when the bot cannot read the channel its cards go to.
"""

from __future__ import annotations

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from channels.checks import CheckResult

__all__ = ["check_slack"]


async def check_slack(client: AsyncWebClient, handoff_channel: str) -> CheckResult:
    """auth.test, then the handoff channel; the first failure with Slack's error."""
    step = "auth.test"
    try:
        await client.auth_test()
        step = "conversations.info"
        try:
            info = await client.conversations_info(channel=handoff_channel)
        except SlackApiError as exc:
            if _error(exc) != "missing_scope":
                raise
            step = "conversations.history"
            await client.conversations_history(channel=handoff_channel, limit=1)
            return CheckResult.passed()
        if info.get("channel", {}).get("is_member") is False:
            return CheckResult.failed(
                step, f"says the bot is not in {handoff_channel} (invite it: /invite @app)"
            )
    except SlackApiError as exc:
        return CheckResult.failed(step, f"answered {_error(exc)}")
    except (TimeoutError, aiohttp.ClientError, OSError) as exc:
        return CheckResult.failed("reaching Slack", f"failed: {exc or type(exc).__name__}")
    return CheckResult.passed()


def _error(exc: SlackApiError) -> str:
    """Slack's error code ("invalid_auth"), or the HTTP status when there is none."""
    response = exc.response
    error = response.get("error") if isinstance(response.data, dict) else None
    return str(error or f"HTTP {response.status_code}")
