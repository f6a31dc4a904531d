"""Reading a rating: a message that starts with a digit from 1 to 5 ("5", "4 - quick and
kind", "3/5", "2 stars, too slow"), the rest being the comment. Anything else is not a
rating and goes to the bot as usual."""

from __future__ import annotations

import re

__all__ = ["THANKS", "read_rating"]

THANKS = "Thank you for rating us! If you need anything else, just write here."

_RATING = re.compile(
    r"^\s*([1-5])(?![\d.,]\d)\s*(?:/\s*5|out of 5|of 5|stars?)?\s*[-:;,.!)]*\s*(.*)$",
    re.IGNORECASE | re.DOTALL,
)


def read_rating(text: str) -> tuple[int, str | None] | None:
    """(score, comment or None) when the text is a rating, else None."""
    found = _RATING.match(text)
    if found is None:
        return None
    comment = found.group(2).strip()
    return int(found.group(1)), comment or None
