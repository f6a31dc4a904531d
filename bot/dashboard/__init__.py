"""The staff dashboard at `/staff/`: a page and its script and styles, drawn from the
JSON API (bot/api/analytics.py, bot/api/handoffs.py, the support report)."""

from bot.dashboard.page import dashboard_router

__all__ = ["dashboard_router"]
