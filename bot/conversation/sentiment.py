"""Is a complaint angry? A small word list, enough to decide when to offer a person.

Deliberately simple and visible: the cost of a false positive is one offer of a person.
"""

from __future__ import annotations

import re

_NEGATIVE = re.compile(
    r"\b(terrible|awful|horrible|worst|useless|unacceptable|ridiculous|disgusting|"
    r"furious|angry|livid|outraged|appalled|disappointed|fed up|sick of|scam|rip-?off|"
    r"never again|hate|pathetic|incompetent|joke|waste of)\b",
    re.I,
)


def is_negative(text: str) -> bool:
    """True when the text carries clear anger or disappointment (or shouting)."""
    if _NEGATIVE.search(text):
        return True
    letters = [c for c in text if c.isalpha()]
    return len(letters) >= 12 and sum(c.isupper() for c in letters) / len(letters) > 0.8
