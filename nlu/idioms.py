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
    # Pay-later services by name. Not "afterpay" (the demo's own `asked:` phrasing
    # says it) nor "affirm" (an English verb).
    "klarna": "buy now pay later",
    "clearpay": "buy now pay later",
    "sezzle": "buy now pay later",
    # British "ring" for a telephone call; only in these phrases, since a ring is also
    # a thing ("the D-ring snapped").
    "can ring": "can call",
    "ring you": "call you",
    "ring me": "call me",
    "ring us": "call us",
    "ring back": "call back",
    "give you a ring": "call you",
    "give me a ring": "call me",
    # "whats ur phone no.": "no." for number, after the things that have one.
    "phone no": "phone number",
    "tel no": "telephone number",
    "contact no": "contact number",
    # A line to call is its number: "whats the support phone line" found the phone
    # section at 0.30 against 0.71 for "whats your phone number".
    "phone line": "phone number",
    "support line": "support phone number",
    "customer service line": "customer service phone number",
    "customer care line": "customer care phone number",
    "help line": "customer service phone number",
    "helpline": "customer service phone number",
    "hotline": "phone number",
    # A shop that is "working" is open ("are you guys working on july 4th").
    "are you working": "are you open",
    "are u working": "are u open",
    "you guys working": "you guys open",
    "r u working": "are you open",
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
