"""How many SMS segments a text takes, and in which encoding.

Texts made only of the GSM 03.38 alphabet go as GSM-7: 160 septets in one segment,
153 per segment when split (7 go to the concatenation header); the extension table's
characters (such as the euro sign and braces) take two septets and are never split.
Anything else goes as UCS-2: 70 UTF-16 units in one segment, 67 when split, and a
surrogate pair (most emoji) is never split.
"""

from __future__ import annotations

from dataclasses import dataclass

GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("^{}\\[~]|€\f")
GSM7 = "GSM-7"
UCS2 = "UCS-2"


@dataclass(frozen=True, slots=True)
class Segments:
    encoding: str
    count: int


def _units(text: str) -> tuple[str, list[int]]:
    """The encoding and the size of each character in its units (septets or UTF-16)."""
    if all(ch in GSM7_BASIC or ch in GSM7_EXTENSION for ch in text):
        return GSM7, [2 if ch in GSM7_EXTENSION else 1 for ch in text]
    return UCS2, [2 if ord(ch) > 0xFFFF else 1 for ch in text]


def capacity(encoding: str, segments: int) -> int:
    """Units (septets or UTF-16) that `segments` segments of `encoding` hold."""
    single, per_part = (160, 153) if encoding == GSM7 else (70, 67)
    return single if segments == 1 else per_part * segments


def outside_gsm7(text: str) -> str | None:
    """The first character that makes `text` UCS-2, or None when it goes as GSM-7."""
    return next((ch for ch in text if ch not in GSM7_BASIC and ch not in GSM7_EXTENSION), None)


def count_segments(text: str) -> Segments:
    encoding, sizes = _units(text)
    single, per_part = (160, 153) if encoding == GSM7 else (70, 67)
    if sum(sizes) <= single:
        return Segments(encoding, 1)
    parts, used = 1, 0
    for size in sizes:
        if used + size > per_part:
            parts, used = parts + 1, 0
        used += size
    return Segments(encoding, parts)
