"""Shop idioms are said in plain words for the machines (`nlu.idioms`)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

import pytest

from bot.conversation.understanding import NluUnderstander
from nlu.idioms import say_plainly


@pytest.mark.parametrize(
    ("text", "plain"),
    [
        ("whats ur return window", "whats ur return period"),
        ("Return Window?", "return period?"),
        ("do you take AMEX", "do you take American Express card payment"),
        ("cutoff time for same day dispatch?", "latest time to order for same day shipping?"),
        ("has it been dispatched", "has it been shipped"),
        ("any import fees to canada?", "any customs duties to canada?"),
        ("klarna?", "buy now pay later?"),
        ("whats ur phone no. or email", "whats ur phone number. or email"),
        ("is there a number i can ring", "is there a number i can call"),
        ("are you guys working on july 4th", "are you guys open on july 4th"),
        ("whats the support phone line", "whats the support phone number"),
        ("helpline?", "customer service phone number?"),
    ],
)  # fmt: skip
def test_idioms_are_said_in_the_help_centres_words(text: str, plain: str) -> None:
    assert say_plainly(text) == plain


@pytest.mark.parametrize(
    "text",
    [
        "my window arrived cracked",  # a window, not a period of time
        "Beta tester here",  # "eta" inside a word
        "the amex-style card",  # part of a hyphenated word
        "order 4417",
        "the D-ring snapped on my pack",  # a ring that is a thing, not a call
    ],
)
def test_words_that_only_contain_an_idiom_are_left_alone(text: str) -> None:
    assert say_plainly(text) == text


@dataclass
class _ReadingParser:
    """Records what the NLU was given to read."""

    read: list[str] = field(default_factory=list)

    async def parse_async(self, text: str) -> Any:
        self.read.append(text)
        return _Parsed()


class _Parsed:
    def to_rasa(self) -> dict[str, Any]:
        return {"intent": {"name": "knowledge_question", "confidence": 0.9}}


def test_the_nlu_reads_the_plain_words_and_the_route_says_so() -> None:
    parser = _ReadingParser()
    understood = asyncio.run(NluUnderstander(parser).understand("whats your return window"))
    assert parser.read == ["whats your return period"]
    assert understood.read_as == "whats your return period"
