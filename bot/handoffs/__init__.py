"""Handoffs: a conversation going to a person, claimed, answered, resolved or handed back."""

from bot.handoffs.service import HandoffError, HandoffService, LoggingAgentDesk

__all__ = ["HandoffError", "HandoffService", "LoggingAgentDesk"]
