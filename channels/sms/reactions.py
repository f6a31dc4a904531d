"""A phone's reaction to one of our texts, sent on as an ordinary SMS.

When an iPhone user reacts to a text (a tapback) and the other side is not iMessage, the
phone sends the reaction as a text of its own quoting ours: `Liked “Order 4417 is on
its way...”`, `Laughed at “...”`, `Reacted 👍 to “...”`, `Removed a heart from “...”`;
Android's Messages writes the same shapes to iPhones. Read as a question, the quote of
our own answer made the bot send that answer again (a second bill, a confusing repeat),
and a quote of a question it could not answer counted as one more miss.

A reaction is recorded like any text (the timeline keeps it, and an agent who has the
conversation sees it in the Slack thread) but is not answered. Only the whole message
in one of these shapes counts, the quote closing at its end: a customer's own sentence
("Loved the boots but the zip broke") is read as usual.
"""

from __future__ import annotations

import re

# What the phones write before the quote (iOS, English): the six classic tapbacks, their
# removals, and the emoji reactions of iOS 18 ("Reacted 😀 to", "Removed 😀 from").
_VERB = (
    r"Liked|Loved|Disliked|Laughed at|Emphasized|Emphasised|Questioned"
    r"|Reacted \S{1,16} to"
    r"|Removed (?:an? )?(?:like|heart|dislike|laugh|exclamation(?: mark)?|question mark"
    r"|emphasis|\S{1,16}) from"
)
_REACTION = re.compile(rf"^(?P<verb>{_VERB}) [\"“”](?P<quoted>.+)[\"“”]$", re.DOTALL)


def reaction_of(body: str) -> str | None:
    """The reaction's words (`Liked`, `Reacted 👍 to`) when the whole text is a phone's
    reaction to a quoted message, else None."""
    found = _REACTION.match(body.strip())
    return found.group("verb") if found else None
