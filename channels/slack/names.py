"""People's names for `<@U…>` mentions in an agent's reply, so a customer reads "Sam
Carter" rather than a Slack user id.

A staff user's name comes from the store (the staff directory); anyone else's from
Slack's `users.info` (their real or display name). Names are kept for the life of the
process: a mention costs at most one Slack call per person. A lookup that fails is not
kept (the next reply tries again) and leaves the mention to the renderer's fallback.
"""

from __future__ import annotations

from collections.abc import Iterable

from slack_sdk.web.async_client import AsyncWebClient

from channels.slack.people import slack_user
from channels.slack.ports import StaffDirectory


class SlackNames:
    def __init__(self, directory: StaffDirectory, client: AsyncWebClient) -> None:
        self._directory = directory
        self._client = client
        self._known: dict[str, str] = {}

    async def names_of(self, slack_user_ids: Iterable[str]) -> dict[str, str]:
        """The names found for these Slack users (those not found are left out)."""
        found: dict[str, str] = {}
        for user in slack_user_ids:
            name = self._known.get(user) or await self._look_up(user)
            if name:
                self._known[user] = found[user] = name
        return found

    async def _look_up(self, user: str) -> str | None:
        staff = await self._directory.by_slack_user(user)
        if staff is not None and staff.name:
            return staff.name
        person = await slack_user(self._client, user)
        if person is None:  # a name is a nicety: the reply goes out without it
            return None
        profile = person.get("profile") or {}
        return (
            profile.get("real_name")
            or person.get("real_name")
            or profile.get("display_name")
            or None
        )
