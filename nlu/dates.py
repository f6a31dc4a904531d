"""Date mentions: ISO dates, "12 March", "March 12 2025", "today", "tomorrow",
"next Monday", "in 3 days", resolved against a given `now` to an ISO date."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, datetime, timedelta

__all__ = ["find_dates"]

_MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("january", "jan"), ("february", "feb"), ("march", "mar"), ("april", "apr"),
            ("may",), ("june", "jun"), ("july", "jul"), ("august", "aug"),
            ("september", "sep", "sept"), ("october", "oct"), ("november", "nov"),
            ("december", "dec"),
        ],
        start=1,
    )
    for name in names
}  # fmt: skip
_WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
_MONTH = "|".join(sorted(_MONTHS, key=len, reverse=True))
_DAY = r"(?P<day>[0-3]?\d)(?:st|nd|rd|th)?"
_YEAR = r"(?:,?\s+(?P<year>\d{4}))?"
_PATTERNS = [
    re.compile(r"\b(?P<iso>\d{4}-\d{2}-\d{2})\b"),
    re.compile(rf"\b{_DAY}\s+(?:of\s+)?(?P<month>{_MONTH})\.?\b{_YEAR}", re.I),
    re.compile(rf"\b(?P<month>{_MONTH})\.?\s+{_DAY}\b{_YEAR}", re.I),
    re.compile(r"\b(?P<relative>today|tomorrow|yesterday|day after tomorrow)\b", re.I),
    re.compile(rf"\b(?P<which>next|this|last|on)\s+(?P<weekday>{'|'.join(_WEEKDAYS)})\b", re.I),
    re.compile(r"\bin\s+(?P<count>\d{1,3})\s+(?P<unit>days?|weeks?)\b", re.I),
]


def find_dates(text: str, now: datetime | None = None) -> Iterator[tuple[int, int, str]]:
    """(start, end, ISO date) for each date mention that resolves to a real date."""
    today = (now or datetime.now()).date()
    taken: list[tuple[int, int]] = []
    for pattern in _PATTERNS:
        for match in pattern.finditer(text):
            if any(match.start() < end and start < match.end() for start, end in taken):
                continue
            resolved = _resolve(match, today)
            if resolved is not None:
                taken.append((match.start(), match.end()))
                yield match.start(), match.end(), resolved.isoformat()


def _resolve(match: re.Match[str], today: date) -> date | None:
    groups = match.groupdict()
    try:
        if groups.get("iso"):
            return date.fromisoformat(groups["iso"])
        if groups.get("month"):
            month = _MONTHS[groups["month"].lower()]
            year = int(groups["year"]) if groups.get("year") else today.year
            return date(year, month, int(groups["day"]))
    except ValueError:
        return None
    if groups.get("relative"):
        offsets = {"today": 0, "tomorrow": 1, "yesterday": -1, "day after tomorrow": 2}
        return today + timedelta(days=offsets[groups["relative"].lower()])
    if groups.get("weekday"):
        target = _WEEKDAYS.index(groups["weekday"].lower())
        ahead = (target - today.weekday()) % 7
        which = groups["which"].lower()
        if which == "last":
            return today - timedelta(days=(today.weekday() - target) % 7 or 7)
        if which == "next" or (ahead == 0 and which == "on"):
            ahead = ahead or 7
        return today + timedelta(days=ahead)
    count = int(groups["count"])
    return today + timedelta(days=count * (7 if groups["unit"].lower().startswith("week") else 1))
