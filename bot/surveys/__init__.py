"""Satisfaction surveys: the 1-5 question after a resolution, on the customer's
channel, and reading the customer's answer (crm_store/surveys.py keeps them)."""

from bot.surveys.asking import SurveyPolicy, ask_after_resolution
from bot.surveys.rating import THANKS, read_rating

__all__ = ["THANKS", "SurveyPolicy", "ask_after_resolution", "read_rating"]
