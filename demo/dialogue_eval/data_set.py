"""The whole data set: the help centre's article keys, the singles, the conversations
and, apart from them, the examples quoted in issue 14."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from demo.dialogue_eval.cases import (
    DATA_DIR,
    CaseError,
    Conversation,
    Single,
    load_conversations,
    load_conversations_from,
    load_singles,
    load_singles_from,
)
from demo.help_centre import DEMO_DIR

MESSAGES = DATA_DIR / "messages.yaml"
CONVERSATIONS = DATA_DIR / "conversations.yaml"
ISSUE_EXAMPLES = DATA_DIR / "issue_examples.yaml"
# The holdout split, written later by someone who had seen neither the other files nor
# any evaluation output: the test split had been read too often to count as unseen.
HOLDOUT_MESSAGES = DATA_DIR / "holdout_messages.yaml"
HOLDOUT_CONVERSATIONS = DATA_DIR / "holdout_conversations.yaml"
# The blind split, written in session 33 by two engineers blind to all of the above and
# to each other (the file's header says what has been read of it since).
BLIND_MESSAGES = DATA_DIR / "blind_messages.yaml"
# A fourth engineer's set of session 41, written the same way (its header).
BLIND_SESSION41_MESSAGES = DATA_DIR / "blind_session41_messages.yaml"


def article_key(url: str) -> str:
    """An article's key: the last path segment of its URL (FAQ rows carry their
    article's URL, so a FAQ answer maps to its article)."""
    return url.rstrip("/").rsplit("/", 1)[-1]


def help_centre_articles(directory: Path = DEMO_DIR) -> frozenset[str]:
    """The keys of the demo help centre's articles, from each file's front matter."""
    keys = set()
    for path in directory.rglob("*.md"):
        front = path.read_text(encoding="utf-8").split("---")[1]
        meta: Any = yaml.safe_load(front)
        keys.add(article_key(meta["url"]))
    return frozenset(keys)


@dataclass(frozen=True, slots=True)
class DataSet:
    singles: list[Single]
    conversations: list[Conversation]

    def only(self, split: str) -> DataSet:
        if split == "all":
            return self
        return DataSet(
            [s for s in self.singles if s.split == split],
            [c for c in self.conversations if c.split == split],
        )


def load_data_set() -> DataSet:
    known = help_centre_articles()
    singles = (
        load_singles(MESSAGES, known)
        + load_singles(HOLDOUT_MESSAGES, known)
        + load_singles(BLIND_MESSAGES, known)
        + load_singles(BLIND_SESSION41_MESSAGES, known)
    )
    conversations = load_conversations(CONVERSATIONS, known) + load_conversations(
        HOLDOUT_CONVERSATIONS, known
    )
    ids = [s.id for s in singles] + [c.id for c in conversations]
    clash = {i for i in ids if ids.count(i) > 1}
    if clash:
        raise CaseError(f"ids used twice: {sorted(clash)}")
    return DataSet(singles, conversations)


def load_issue_examples() -> DataSet:
    """Issue 14's own examples: kept apart, never part of the data set's figures."""
    known = help_centre_articles()
    raw = yaml.safe_load(ISSUE_EXAMPLES.read_text(encoding="utf-8"))
    if not isinstance(raw, dict) or set(raw) != {"messages", "conversations"}:
        raise CaseError(f"{ISSUE_EXAMPLES.name}: a mapping of `messages` and `conversations`")
    return DataSet(
        load_singles_from(raw["messages"], ISSUE_EXAMPLES, known),
        load_conversations_from(raw["conversations"], ISSUE_EXAMPLES, known),
    )
