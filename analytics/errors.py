"""The one small exception tree of the analytics package."""

from __future__ import annotations

__all__ = ["AnalyticsError", "NotEnoughData"]


class AnalyticsError(Exception):
    """Something analytics could not compute; the message says why."""


class NotEnoughData(AnalyticsError):
    """Too few purchases or closed leads to fit a model on (the message says how many)."""
