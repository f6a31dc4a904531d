"""Built-in extractors that need no training data: email, phone (E.164), order and
ticket numbers, money and dates. Each yields `Entity` objects with extractor names
in the spirit of Rasa's (`SwitchboardBuiltin`)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime

import phonenumbers

from nlu.dates import find_dates
from nlu.entity import Entity

__all__ = ["BUILTIN_EXTRACTOR", "find_builtin_entities"]

BUILTIN_EXTRACTOR = "SwitchboardBuiltin"
DEFAULT_REGION = "US"

_EMAIL = re.compile(r"\b[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}\b")
_ORDER_CODE = re.compile(r"\b[A-Z]{1,2}-\d{4,8}\b")
# The same code typed without its hyphen ("status AO7719"), two or three capitals then
# digits. Product models and discount codes look alike ("is GTX2000 waterproof?",
# "BF2024 code not working"), so it counts only as the whole message or in one about an
# order, its status or its delivery. The lookup ignores hyphens (crm_store.orders).
_ORDER_CODE_UNHYPHENATED = re.compile(r"\b[A-Z]{2,3}\d{4,10}\b")
_ABOUT_AN_ORDER = re.compile(
    r"\b(?:orders?|status|track(?:ing)?|parcel|package|delivery|delivered|shipped|arrived?)\b",
    re.I,
)
_ORDER_AFTER_WORD = re.compile(
    r"\border(?:\s+(?:number|no\.?|num|id|#))?\s*(?:is\s+|was\s+)?#?\s*(?P<number>\d{4,10})\b",
    re.I,
)
_TICKET = re.compile(r"\bT-\d{3,8}\b", re.I)
_TICKET_AFTER_WORD = re.compile(
    r"\b(?:ticket|case)(?:\s+(?:number|no\.?|#))?\s*#?\s*(?P<number>\d{3,8})\b", re.I
)
_CURRENCY_SYMBOLS = {"$": "USD", "€": "EUR", "£": "GBP", "¥": "JPY"}
_CURRENCY_WORDS = {
    "usd": "USD", "dollar": "USD", "dollars": "USD", "bucks": "USD", "eur": "EUR",
    "euro": "EUR", "euros": "EUR", "gbp": "GBP", "pound": "GBP", "pounds": "GBP",
    "jpy": "JPY", "yen": "JPY", "cad": "CAD", "aud": "AUD", "chf": "CHF",
}  # fmt: skip
_AMOUNT = r"(?P<amount>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)"
_WORDS = "|".join(sorted(_CURRENCY_WORDS, key=len, reverse=True))
_MONEY = [
    re.compile(rf"(?P<symbol>[$€£¥])\s?{_AMOUNT}"),
    re.compile(rf"\b(?P<code>{_WORDS})\s?{_AMOUNT}", re.I),
    re.compile(rf"\b{_AMOUNT}\s?(?P<word>{_WORDS})\b", re.I),
]


def find_builtin_entities(text: str, now: datetime | None = None) -> Iterator[Entity]:
    yield from _emails(text)
    yield from _phones(text)
    yield from _orders(text)
    yield from _tickets(text)
    yield from _money(text)
    for start, end, iso in find_dates(text, now):
        yield Entity("date", iso, start, end, BUILTIN_EXTRACTOR)


def _emails(text: str) -> Iterator[Entity]:
    for match in _EMAIL.finditer(text):
        yield Entity("email", match.group(0).lower(), match.start(), match.end(), BUILTIN_EXTRACTOR)


def _phones(text: str) -> Iterator[Entity]:
    for match in phonenumbers.PhoneNumberMatcher(text, DEFAULT_REGION):
        e164 = phonenumbers.format_number(match.number, phonenumbers.PhoneNumberFormat.E164)
        yield Entity("phone", e164, match.start, match.end, BUILTIN_EXTRACTOR)


def _orders(text: str) -> Iterator[Entity]:
    for match in _ORDER_CODE.finditer(text):
        if not _TICKET.fullmatch(match.group(0)):
            yield Entity(
                "order_number", match.group(0), match.start(), match.end(), BUILTIN_EXTRACTOR
            )
    if _ORDER_CODE_UNHYPHENATED.fullmatch(text.strip(" ?!.#")) or _ABOUT_AN_ORDER.search(text):
        for match in _ORDER_CODE_UNHYPHENATED.finditer(text):
            yield Entity(
                "order_number", match.group(0), match.start(), match.end(), BUILTIN_EXTRACTOR
            )
    for match in _ORDER_AFTER_WORD.finditer(text):
        start, end = match.span("number")
        yield Entity("order_number", match.group("number"), start, end, BUILTIN_EXTRACTOR)


def _tickets(text: str) -> Iterator[Entity]:
    for match in _TICKET.finditer(text):
        value = match.group(0).upper()
        yield Entity("ticket_number", value, match.start(), match.end(), BUILTIN_EXTRACTOR)
    for match in _TICKET_AFTER_WORD.finditer(text):
        start, end = match.span("number")
        value = f"T-{match.group('number')}"
        yield Entity("ticket_number", value, start, end, BUILTIN_EXTRACTOR)


def _money(text: str) -> Iterator[Entity]:
    taken: list[tuple[int, int]] = []
    for pattern in _MONEY:
        for match in pattern.finditer(text):
            if any(match.start() < end and start < match.end() for start, end in taken):
                continue
            marker = match.groupdict()
            if marker.get("symbol"):
                currency = _CURRENCY_SYMBOLS[marker["symbol"]]
            else:
                currency = _CURRENCY_WORDS[(marker.get("code") or marker["word"]).lower()]
            amount = float(match.group("amount").replace(",", ""))
            taken.append(match.span())
            value = {"amount": amount, "currency": currency}
            yield Entity("money", value, match.start(), match.end(), BUILTIN_EXTRACTOR)
