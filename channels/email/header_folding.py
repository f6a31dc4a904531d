"""Headers whose words must reach the mail program as written: In-Reply-To and
References (message ids) and List-Unsubscribe (a link in angle brackets).

The email library folds a header line longer than 78 characters at its spaces, and a
single word that does not fit on a line (an Outlook Message-ID runs to 80 characters
and more, the sealed unsubscribe link to 150 and more) it writes as RFC 2047 encoded words,
`=?utf-8?q?=3CSN6PR04...?=`. RFC 2047 allows those only in text and names, and mail
programs do not decode them in these headers: the reply did not thread under the
customer's mail, and Gmail's one-click unsubscribe did not see the link. These headers
are folded only at the spaces between their words; a word longer than a line stays whole
on a line of its own (RFC 5322 allows 998 characters).
"""

from __future__ import annotations

from email import policy as email_policy
from email.headerregistry import HeaderRegistry, UnstructuredHeader
from email.policy import Policy
from typing import Any

__all__ = ["MAIL_POLICY", "UNFOLDED_WORDS"]

UNFOLDED_WORDS = ("in-reply-to", "references", "list-unsubscribe")
_NO_LIMIT = 998  # RFC 5322's hard line limit, where the policy sets none


class WholeWordsHeader(UnstructuredHeader):
    """A header of words never split or encoded: folded only between them."""

    max_count = 1

    @classmethod
    def parse(cls, value: str, kwds: dict[str, Any]) -> None:
        super().parse(" ".join(str(value).split()), kwds)  # a line break cannot get in

    def fold(self, *, policy: Policy) -> str:
        limit = policy.max_line_length or _NO_LIMIT
        name: str = self.name  # type: ignore[attr-defined]
        # A word outside ASCII (an id from a UTF-8 mail) cannot be written in a 7-bit
        # header, and as encoded words it would be no id: it is left out, not sent wrong.
        words = [word for word in str(self).split() if word.isascii() or policy.utf8]
        if not words:
            return ""
        lines, line = [], f"{name}:"
        for number, word in enumerate(words):
            if number and len(line) + 1 + len(word) > limit:
                lines.append(line)
                line = ""
            line += f" {word}"
        lines.append(line)
        return policy.linesep.join(lines) + policy.linesep


def _registry() -> HeaderRegistry:
    registry = HeaderRegistry()
    for name in UNFOLDED_WORDS:
        registry.map_to_type(name, WholeWordsHeader)
    return registry


# The policy outgoing mail is composed with; whoever writes it out (aiosmtplib, with its
# SMTP policy) folds these headers with `WholeWordsHeader.fold`.
MAIL_POLICY = email_policy.default.clone(header_factory=_registry())
