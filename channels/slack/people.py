"""Slack users as staff users: by Slack user id, or once by email.

A Slack user with no staff user of that id is looked up once with `users.info` (scope
users:read.email); the staff user with that email and no Slack id yet gets the id kept,
so later presses need no Slack call. (`users.lookupByEmail` answers the other way round,
email to user, and would need one call per unlinked staff user to find who pressed.)
"""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from channels.slack.ports import StaffDirectory
from crm_store.records import StaffRecord

log = logging.getLogger(__name__)


async def slack_user(client: AsyncWebClient, slack_user_id: str) -> dict[str, Any] | None:
    """Slack's `users.info` record of a user, or None (logged) when Slack does not answer:
    every caller can carry on without it."""
    try:
        answer = await client.users_info(user=slack_user_id)
    except Exception as exc:
        reason = exc.response.get("error") if isinstance(exc, SlackApiError) else exc
        log.warning("users.info failed", extra={"user": slack_user_id, "error": str(reason)})
        return None
    return answer.get("user") or {}


class SlackStaff:
    def __init__(self, directory: StaffDirectory, client: AsyncWebClient) -> None:
        self._directory = directory
        self._client = client

    async def staff_for(self, slack_user_id: str) -> StaffRecord | None:
        """The staff user behind a Slack user, linked by email the first time."""
        staff = await self._directory.by_slack_user(slack_user_id)
        if staff is not None:
            return staff
        user = await slack_user(self._client, slack_user_id)  # None: told to try again
        if user is None:
            return None
        email = (user.get("profile") or {}).get("email")
        if not email:
            return None
        linked = await self._directory.link_slack_user(slack_user_id, email)
        if linked is not None:
            log.info("linked a Slack user to a staff user by email", extra={"staff_id": linked.id})
        return linked
