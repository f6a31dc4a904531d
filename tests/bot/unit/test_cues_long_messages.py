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
    assert not cues.asks_about_order_state(text)
    assert not cues.is_about_order_progress(text)
    assert not cues.says_nothing(text)  # the "x" at the end is something to read
    assert cues.yes_or_no(text) is None


@pytest.mark.parametrize(("reply", "answer"), [("no thanks ", "deny"), ("yes please ", "affirm")])
def test_a_reply_repeating_its_words_is_read_in_its_length(reply: str, answer: str) -> None:
    # Each "no thanks" read as one phrase or as "no" and "thanks": the expression that
    # tried both ways doubled its time with each repeat (3.5 s at 22).
    assert cues.yes_or_no(reply * 5_000) == answer
    assert cues.yes_or_no(reply * 5_000 + "x") is None


@pytest.mark.parametrize(
    ("reply", "answer"),
    [
        ("yes", "affirm"),
        ("Sure, go on!", "affirm"),
        ("let's do it", "affirm"),
        ("ok thanks", "affirm"),
        ("nah I'm good thanks", "deny"),
        ("I\u2019m good", "deny"),
        ("no thank you, that's all", "deny"),
        ("yes?", None),
        ("thanks", None),
        ("no way", None),
        ("yes I want to cancel", None),
    ],
)
def test_yes_and_no_in_a_few_words(reply: str, answer: str | None) -> None:
    assert cues.yes_or_no(reply) == answer


def test_spaces_around_a_join_still_split_two_topics() -> None:
    spaced = "size chart for boots " + " " * 5000 + "and then please tell me about restocks"
    assert cues.topic_splits(spaced) == [("size chart for boots", "tell me about restocks")]


def test_two_questions_joined_by_a_comma_and_many_spaces_are_two() -> None:
    text = "do you take apple pay," + " " * 5000 + "and is there a minimum order?"
    assert cues.questions_in(text) == ["do you take apple pay", "is there a minimum order?"]


def test_a_doubled_comma_still_joins() -> None:
    text = "do you take apple pay,, and is there a minimum order?"
    assert cues.questions_in(text) == ["do you take apple pay", "is there a minimum order?"]
    splits = cues.topic_splits("size chart for boots,, and tell me about restocks")
    assert splits == [("size chart for boots", "tell me about restocks")]


def test_topic_splits_stop_at_the_limit() -> None:
    text = " and ".join(["size chart for boots"] * 50)
    splits = cues.topic_splits(text, limit=2)
    assert [head for head, _ in splits] == [
        "size chart for boots",
        "size chart for boots and size chart for boots",
    ]


def test_a_word_of_arriving_alone_does_not_make_numbers_orders() -> None:
    # The numbers in these are a year and a zip code: read as asking where an order is,
    # every bare number in them would be looked up as an order.
    assert not cues.asks_about_order_state("can it arrive before 2025")
    assert not cues.asks_about_order_state("does it arrive at zip code 90210 by ground")
    assert cues.asks_about_order_state("has my order from last week shipped yet")
