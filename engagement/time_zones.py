"""The customer's time zone, and when quiet hours end there.

Where a customer lives, in this order: an IANA zone in the customer's attributes
(`time_zone`, set by staff or an import), the zone of their phone number (the
`phonenumbers` package's geographic data: one zone for most numbers, the first of
several for a number that spans zones), the country of their address
(`attributes.address.country`, ISO 3166 alpha-2), and the company's zone otherwise.

Quiet hours are local wall-clock times (21:00 to 08:00 by default). Times are built
with zoneinfo, so a DST change moves the UTC instant of the window's end, never the
local hour: 08:00 in Berlin is 07:00 UTC in winter and 06:00 UTC in summer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from phonenumbers import timezone as number_zones

__all__ = ["QuietHours", "customer_zone"]

UNKNOWN = "Etc/Unknown"


def _zone(name: object) -> ZoneInfo | None:
    if not isinstance(name, str) or not name or name == UNKNOWN:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def _phone_zone(phone: str | None) -> ZoneInfo | None:
    if not phone:
        return None
    try:
        number = phonenumbers.parse(phone, None)
    except phonenumbers.NumberParseException:
        return None
    for name in number_zones.time_zones_for_number(number):
        found = _zone(name)
        if found is not None:
            return found
    return None


def _country_zone(country: object) -> ZoneInfo | None:
    """A country's zone, by the zones of its example number (one for most countries)."""
    if not isinstance(country, str) or len(country) != 2:
        return None
    example = phonenumbers.example_number(country.upper())
    if example is None:
        return None
    names = number_zones.time_zones_for_number(example)
    return _zone(names[0]) if len(names) == 1 else None


def customer_zone(
    attributes: dict[str, Any], phone: str | None, company_zone: ZoneInfo
) -> tuple[ZoneInfo, str]:
    """The customer's zone and where it came from (`setting`, `phone`, `address`,
    `company`), for the preview to show."""
    found = _zone(attributes.get("time_zone"))
    if found is not None:
        return found, "setting"
    found = _phone_zone(phone)
    if found is not None:
        return found, "phone"
    address = attributes.get("address")
    if isinstance(address, dict):
        found = _country_zone(address.get("country"))
        if found is not None:
            return found, "address"
    return company_zone, "company"


@dataclass(frozen=True, slots=True)
class QuietHours:
    """Local hours nothing is sent in: from `starts` to `ends` (may span midnight)."""

    starts: time = time(21, 0)
    ends: time = time(8, 0)

    def _quiet(self, local: time) -> bool:
        if self.starts == self.ends:
            return False
        if self.starts < self.ends:
            return self.starts <= local < self.ends
        return local >= self.starts or local < self.ends

    def opens_at(self, now: datetime, zone: ZoneInfo) -> datetime | None:
        """None when `now` is outside quiet hours in `zone`; else the UTC instant the
        window opens (the next local `ends`)."""
        local = now.astimezone(zone)
        if not self._quiet(local.time()):
            return None
        day = local.date()
        if local.time() >= self.ends:
            day += timedelta(days=1)
        opening = datetime.combine(day, self.ends, tzinfo=zone)
        # A local time inside a DST gap does not exist; the round trip moves it to the
        # first real instant after it.
        return opening.astimezone(UTC).astimezone(zone).astimezone(UTC)
