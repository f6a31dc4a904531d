"""Phone numbers as staff type them in a search, made into the E.164 form the store keeps.

"+1 (415) 555-0101", "415-555-0101" (in the default region) and "14155550101" all mean
+14155550101. A `+` sent unencoded in a query string arrives as a space; a number that
starts with a space and then digits is read as starting with `+`.
"""

from __future__ import annotations

import phonenumbers


class NotAPhoneNumber(ValueError):
    """The text cannot be read as a possible phone number (the reason says why)."""


def e164(typed: str, default_region: str) -> str:
    """`typed` in E.164, reading numbers without a country code in `default_region`."""
    text = typed
    if text[:1] == " " and text.lstrip()[:1].isdigit():
        text = "+" + text.lstrip()  # an unencoded "+" became a space
    text = text.strip()
    try:
        number = phonenumbers.parse(text, default_region)
    except phonenumbers.NumberParseException as exc:
        # phonenumbers' text without its "(1) " error code, and what would be read
        reason = str(exc).split(") ", 1)[-1].rstrip(".")
        raise NotAPhoneNumber(
            f"not a phone number: {typed!r} ({reason}); give digits, with the country "
            "code for a number abroad, e.g. +44 20 7946 0000"
        ) from exc
    if not phonenumbers.is_possible_number(number):
        raise NotAPhoneNumber(
            "not a possible phone number (give the country code, e.g. +44 20 7946 0000)"
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
