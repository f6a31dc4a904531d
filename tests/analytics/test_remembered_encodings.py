"""The report's encoder remembers each wording's encoding: the groups are the ones the
encoder gives on its own, and a second report encodes only what is new."""

from __future__ import annotations

from analytics.support.unanswered import RememberedEncodings, group_questions
from tests.support.encoders import RecordingEncoder

QUESTIONS = ["do you ship to mars", "ship to mars?", "capital of peru", "do you ship to mars"]


def test_the_same_groups_and_each_wording_encoded_once() -> None:
    plain, remembered = RecordingEncoder(), RecordingEncoder()
    encoder = RememberedEncodings(remembered)
    first = group_questions(QUESTIONS, encoder=encoder)
    assert first == group_questions(QUESTIONS, encoder=plain)
    assert first[0]["count"] == 3
    again = group_questions([*QUESTIONS, "what is the capital of peru"], encoder=encoder)
    assert remembered.batches[1] == ["what is the capital of peru"]
    assert encoder.encoded == 4
    assert again[0]["question"] == "do you ship to mars"
