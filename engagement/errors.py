"""The engagement package's exceptions; `bot`'s API turns them into 4xx answers."""

from __future__ import annotations

__all__ = ["CampaignStateError", "EngagementError", "InvalidCampaign", "InvalidFilter"]


class EngagementError(Exception):
    """Base class of the engagement package's errors."""


class InvalidFilter(EngagementError):
    """A segment filter does not have the declared shape; the message says where."""


class InvalidCampaign(EngagementError):
    """A campaign's content, templates or settings cannot be used; `problems` lists why
    (a template's missing field, per customer, at preview)."""

    def __init__(self, reason: str, problems: list[dict[str, object]] | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.problems = problems or []


class CampaignStateError(EngagementError):
    """The campaign is not in a state that allows this (resume a cancelled one)."""
