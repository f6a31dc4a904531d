"""SMS keywords that carriers and the law give a fixed meaning: opt out, opt in, help.

A keyword is the whole message, in any case, with surrounding spaces (and a trailing
full stop or exclamation mark) ignored: "Stop" and " STOP! " opt out, "please stop
texting me" goes to the bot.
"""

from __future__ import annotations

from enum import StrEnum

# The six of the industry's standard list, and REVOKE and OPTOUT, which Twilio also
# treats as opt-outs by default.
OPT_OUT_WORDS = frozenset(
    {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"}
)
# START and UNSTOP always opt back in; YES only for a number that opted out (otherwise
# "yes" is an answer to the bot, e.g. to its offer of a person).
OPT_IN_WORDS = frozenset({"START", "UNSTOP"})
OPT_IN_IF_OPTED_OUT = frozenset({"YES"})
HELP_WORDS = frozenset({"HELP", "INFO"})


class Keyword(StrEnum):
    OPT_OUT = "opt_out"
    OPT_IN = "opt_in"
    HELP = "help"


def normalise(text: str) -> str:
    return text.strip().rstrip(".!").strip().upper()


def keyword_of(text: str, *, opted_out: bool) -> Keyword | None:
    """The keyword the message is, or None for an ordinary message."""
    word = normalise(text)
    if word in OPT_OUT_WORDS:
        return Keyword.OPT_OUT
    if word in OPT_IN_WORDS or (opted_out and word in OPT_IN_IF_OPTED_OUT):
        return Keyword.OPT_IN
    if word in HELP_WORDS:
        return Keyword.HELP
    return None
