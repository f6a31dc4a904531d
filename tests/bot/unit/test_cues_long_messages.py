"""A long message, or one of a word repeated thousands of times, is read as a short one
is: every cue costs the message's length, not its square. (A mail may be megabytes; a run
of 5,000 spaces once kept one turn's thread busy for minutes.) These assert outcomes;
a pattern that backtracks again makes them hang, not fail on a clock."""

from __future__ import annotations

import pytest

from bot.conversation import cues

_LONG = 200_000


@pytest.mark.parametrize(
    "filler", [" ", "and ", ", ", "has ", "\n", " \n", "how is it and "], ids=repr
)
def test_a_long_run_of_one_thing_is_read_in_its_length(filler: str) -> None:
    text = filler * (_LONG // len(filler)) + "x"
    assert len(cues.questions_in(text)) <= 3
    assert len(cues.topic_splits(text, limit=2)) <= 2
    cues.asks_about_order_state(text)
    cues.is_about_order_progress(text)
    cues.says_nothing(text)


def test_spaces_around_a_join_still_split_two_topics() -> None:
    spaced = "size chart for boots " + " " * 5000 + "and then please tell me about restocks"
    assert cues.topic_splits(spaced) == [("size chart for boots", "tell me about restocks")]


def test_two_questions_joined_by_a_comma_and_many_spaces_are_two() -> None:
    text = "do you take apple pay," + " " * 5000 + "and is there a minimum order?"
    assert cues.questions_in(text) == ["do you take apple pay", "is there a minimum order?"]


def test_topic_splits_stop_at_the_limit() -> None:
    text = " and ".join(["size chart for boots"] * 50)
    splits = cues.topic_splits(text, limit=2)
    assert [head for head, _ in splits] == [
        "size chart for boots",
        "size chart for boots and size chart for boots",
    ]


@pytest.mark.parametrize(
    "text",
    [
        "when is 4417 arriving?",
        "what's the arrival date for order 4417",
        "has my order from last week shipped yet",
    ],
)
def test_an_order_arriving_is_asked_in_any_form_of_the_word(text: str) -> None:
    assert cues.asks_about_order_state(text)
