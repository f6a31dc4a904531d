"""Shop idioms said in plain words, for the machines only.

Customers name some things in a shop's trade words that the shipped encoder reads
literally: "what's your return window" lands nearest an article about windows of time
nowhere (all-MiniLM-L6-v2 put it at 0.40 against "how long is the return period" at
0.67 for the returns article), "amex" nearest express delivery, "same day dispatch"
nearest the opening hours. Like the spelling corrector's shorthand table, `IDIOMS` is
fixed and small on purpose: each entry is a phrase a retail customer writes, said the
way help centres write it, and applies to the text the NLU and the knowledge base read,
never to the stored text.

Decision: a table, not a learned rewrite: the entries are general retail usage, not one
help centre's words, and an operator can read every rewrite in `attributes.route.read_as`.
Not measured: a help centre that itself writes "return window" is searched with "return
period" all the same (the demo's says "within 30 days").
"""

from __future__ import annotations

import re

# Keys are lower case; a match ignores case and needs whole words, and the longer key
# wins where one holds another ("same day dispatch" over "dispatch").
IDIOMS: dict[str, str] = {
    "return window": "return period",
    "returns window": "returns period",
    "refund window": "refund period",
    "exchange window": "exchange period",
    "amex": "American Express card payment",
    "eta": "estimated delivery date",
    "bnpl": "buy now pay later",
    "unsub": "unsubscribe",
    "same day dispatch": "same day shipping",
    "same-day dispatch": "same-day shipping",
    "dispatched": "shipped",
    "dispatch": "ship",
    "import fees": "customs duties",
    "import fee": "customs duty",
    "import charges": "customs duties",
    "cutoff time": "latest time to order",
    "cut-off time": "latest time to order",
    "cut off time": "latest time to order",
    "cutoff": "latest time to order",
    "cut-off": "latest time to order",
}

_IDIOM = re.compile(
    r"(?<![\w-])("
    + "|".join(re.escape(key) for key in sorted(IDIOMS, key=len, reverse=True))
    + r")(?![\w-])",
    re.IGNORECASE,
)


def say_plainly(text: str) -> str:
    """`text` with each shop idiom replaced by its plain words (see `IDIOMS`)."""
    return _IDIOM.sub(lambda m: IDIOMS[m.group(1).lower()], text)
