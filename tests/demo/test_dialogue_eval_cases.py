"""The evaluation's data set and its loader: the set is as large and as split as issue 14
asks, every expected article exists, and a malformed case stops the run loudly."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from demo.dialogue_eval import CaseError, load_data_set, load_issue_examples
from demo.dialogue_eval.cases import load_conversations, load_singles
from demo.dialogue_eval.data_set import help_centre_articles

KNOWN = help_centre_articles()


def test_the_data_set_is_large_split_by_class_and_apart_from_the_issue_examples() -> None:
    data = load_data_set()
    assert len(data.singles) >= 330 and len(data.conversations) >= 45
    by_class = Counter((s.case_class, s.split) for s in data.singles)
    for name in ("articles", "actions", "fallback"):
        dev, test = by_class[(name, "dev")], by_class[(name, "test")]
        assert 0.25 <= dev / (dev + test) <= 0.4, (name, dev, test)
    conversations = Counter(c.split for c in data.conversations)
    assert 0.25 <= conversations["dev"] / (conversations["dev"] + conversations["test"]) <= 0.4
    examples = load_issue_examples()
    texts = {s.text.lower() for s in data.singles}
    assert not texts & {s.text.lower() for s in examples.singles}
    # The holdout split repeats no message of the others (it was written apart).
    holdout = {s.text.lower() for s in data.singles if s.split == "holdout"}
    assert len(holdout) >= 150
    assert not holdout & {s.text.lower() for s in data.singles if s.split != "holdout"}
    # Every article of the help centre is expected somewhere.
    assert {k for s in data.singles for k in s.expect.acceptable} == KNOWN


@pytest.mark.parametrize(
    ("line", "complaint"),
    [
        ('- {id: x1, text: "hi", expect: {article: no-such-article}, split: dev}', "no article"),
        ('- {id: x1, text: "hi", expect: {article: refunds}, split: train}', "split"),
        ('- {id: x1, text: "hi", expect: {answer: refunds}, split: dev}', "unknown expectation"),
        ("- {id: x1, text: yes, expect: {small_talk: true}, split: dev}", "needs text"),
        ('- {id: x1, text: "hi", expect: {any_of: [refunds]}, split: dev}', "two or more"),
        ('- {id: x1, text: "hi", expect: {action: action_x}, split: dev, who: ada}', "unknown"),
        ('- {id: x1, text: "hi", expect: {handover: true}, split: dev, visitor: bob}', "visitor"),
    ],
)
def test_a_malformed_single_is_refused_with_its_reason(
    tmp_path: Path, line: str, complaint: str
) -> None:
    path = tmp_path / "messages.yaml"
    path.write_text(line + "\n")
    with pytest.raises(CaseError, match=complaint):
        load_singles(path, KNOWN)


def test_a_conversation_needs_turns_and_an_expectation(tmp_path: Path) -> None:
    path = tmp_path / "conversations.yaml"
    path.write_text(
        "- id: c1\n  title: t\n  split: dev\n  turns:\n    - {say: a}\n    - {say: b}\n"
    )
    with pytest.raises(CaseError, match="at least one expectation"):
        load_conversations(path, KNOWN)
    path.write_text("- id: c1\n  title: t\n  split: dev\n  turns:\n    - {say: a}\n")
    with pytest.raises(CaseError, match="two turns"):
        load_conversations(path, KNOWN)
