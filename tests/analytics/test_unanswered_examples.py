"""The top unanswered questions show a few of the customers' messages as they wrote them:
case and punctuation kept, on one line, cut at 80 characters with an ellipsis."""

from __future__ import annotations

from analytics.support.unanswered import EXAMPLE_CHARS, group_questions

LONG = (
    "Can I pay with Bitcoin? I have been trying to pay with bitcoin for an hour now and "
    "your checkout keeps refusing it"
)
# The same message as a customer typed it: spaces around it, a blank line in it.
TYPED = "  " + LONG.replace("? I have", "?\n\nI have") + "  "


def test_examples_are_the_messages_as_written_most_asked_wording_first() -> None:
    texts = [
        "Can I pay with Bitcoin?",
        "can i pay with bitcoin",
        "CAN I PAY WITH BITCOIN",
        "Can I pay with Bitcoin?",
        "pay with bitcoin ok?",
        TYPED,
        "Do you ship to Mars?",
    ]
    (bitcoin, mars) = group_questions(texts)
    assert (bitcoin["question"], bitcoin["count"]) == ("can i pay with bitcoin", 6)
    # The most written spelling of each wording, most asked wording first; three at most.
    assert bitcoin["examples"] == [
        "Can I pay with Bitcoin?",
        "pay with bitcoin ok?",
        LONG[: EXAMPLE_CHARS - 1].rstrip() + "…",
    ]
    assert mars == {
        "question": "do you ship to mars",
        "count": 1,
        "examples": ["Do you ship to Mars?"],
    }


def test_then_the_other_spellings_of_the_wordings() -> None:
    texts = ["Can I pay with Bitcoin?", "can i pay with bitcoin", "CAN I PAY WITH BITCOIN"]
    (group,) = group_questions([*texts, "Can I pay with Bitcoin?"])
    assert group["examples"] == texts


def test_a_long_message_is_cut_on_one_line_with_an_ellipsis() -> None:
    (group,) = group_questions([TYPED])
    (example,) = group["examples"]
    assert example == LONG[: EXAMPLE_CHARS - 1].rstrip() + "…"
    assert len(example) <= EXAMPLE_CHARS
    assert "\n" not in example


def test_html_in_a_message_is_kept_as_text() -> None:
    """The dashboard renders it with textContent; the API hands the words on unchanged."""
    (group,) = group_questions(["<b>refund</b> for order #12?"])
    assert group["examples"] == ["<b>refund</b> for order #12?"]
