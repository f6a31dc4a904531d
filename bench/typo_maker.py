"""Realistic typos, seeded, for bench/typos.py and bench/languages.py.

The four slips most typing errors are made of: a letter left out, two adjacent letters
swapped, a letter replaced by its neighbour on a QWERTY keyboard, a letter doubled.
Only words of 3 or more letters (no apostrophe) are touched (a slip in "a" or "to" leaves nothing to
restore), never pieces with a digit, "@" or "://", so an order number or an email stays
the same. The first letter is kept: people rarely miss it, and it keeps the word
recognisable to a reader checking the output.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

__all__ = ["Typo", "inject_typos"]

ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")
NEIGHBOURS: dict[str, str] = {}
for r, row in enumerate(ROWS):
    for c, key in enumerate(row):
        near = [row[i] for i in (c - 1, c + 1) if 0 <= i < len(row)]
        for other in (r - 1, r + 1):
            if 0 <= other < len(ROWS):
                near += [ROWS[other][i] for i in (c - 1, c, c + 1) if 0 <= i < len(ROWS[other])]
        NEIGHBOURS[key] = "".join(near)

WORD = re.compile(r"[^\W\d_]+(?:['\u2019][^\W\d_]+)*")
KINDS = ("deletion", "transposition", "neighbour", "doubled")


@dataclass(frozen=True, slots=True)
class Typo:
    """One injected slip: the word index (among WORD matches) and the words."""

    index: int
    original: str
    typed: str
    kind: str


def misspell(word: str, rng: random.Random) -> tuple[str, str]:
    """`word` with one slip (kind chosen at random), and the kind."""
    kind = rng.choice(KINDS)
    i = rng.randrange(1, len(word))
    if kind == "deletion":
        return word[:i] + word[i + 1 :], kind
    if kind == "transposition":
        i = min(i, len(word) - 2)
        if word[i] == word[i + 1]:
            return misspell(word, rng)
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :], kind
    if kind == "neighbour":
        lower = word[i].lower()
        if lower not in NEIGHBOURS:
            return misspell(word, rng)
        new = rng.choice(NEIGHBOURS[lower])
        new = new.upper() if word[i].isupper() else new
        return word[:i] + new + word[i + 1 :], kind
    return word[: i + 1] + word[i] + word[i + 1 :], kind


def inject_typos(text: str, rng: random.Random, rate: float) -> tuple[str, list[Typo]]:
    """`text` with each eligible word misspelt with probability `rate`, at least one
    when any word is eligible (a typo'd question should have a typo)."""
    pieces = list(re.finditer(r"\S+", text))
    words = [
        (m, piece)
        for piece in pieces
        if not any(ch.isdigit() for ch in piece.group())
        and "@" not in piece.group()
        and "://" not in piece.group()
        for m in WORD.finditer(piece.group())
    ]
    eligible = [
        k
        for k, (m, _) in enumerate(words)
        if len(m.group()) >= 3 and m.group().isascii() and m.group().isalpha()
    ]
    if not eligible:
        return text, []
    chosen = {k for k in eligible if rng.random() < rate} or {rng.choice(eligible)}
    out, cursor, typos = [], 0, []
    for k, (m, piece) in enumerate(words):
        if k not in chosen:
            continue
        start = piece.start() + m.start()
        typed, kind = misspell(m.group(), rng)
        out.append(text[cursor:start] + typed)
        cursor = start + len(m.group())
        index = sum(1 for _ in WORD.finditer(text[:start]))
        typos.append(Typo(index, m.group(), typed, kind))
    out.append(text[cursor:])
    return "".join(out), typos
