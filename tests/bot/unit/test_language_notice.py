"""The notice for a language the help centre does not cover, and the yes that answers it."""

from __future__ import annotations

import re

import pytest

from bot.conversation.language_notice import (
    ENGLISH_NOTICE,
    HANDOVER_LINES,
    NOTICES,
    handover_line,
    language_name,
    language_notice,
    says_yes,
)

REQUIRED = ("es", "fr", "de", "pt", "it", "nl", "pl")
# The word each notice asks for, between the language's own quotation marks.
QUOTED = re.compile(r"[«„\"“「]\s*([^»“”\"」]+?)\s*[»“”\"」]")


def test_the_required_languages_have_their_own_sentence() -> None:
    for code in REQUIRED:
        assert language_notice(code) != ENGLISH_NOTICE, code


@pytest.mark.parametrize("code", sorted(NOTICES))
def test_the_yes_a_notice_asks_for_is_understood(code: str) -> None:
    """The notice says "just say <yes>": that word, as written, must count as a yes."""
    asked = QUOTED.findall(language_notice(code))
    assert len(asked) == 1, (code, asked)
    assert says_yes(asked[0], code), (code, asked[0])


def test_a_language_without_a_sentence_gets_english() -> None:
    assert language_notice("fi") == ENGLISH_NOTICE
    assert language_notice("en") == ENGLISH_NOTICE
    assert language_notice("ES") == language_notice("es")


def test_language_names_are_for_staff() -> None:
    assert language_name("es") == "Spanish"
    assert language_name("zh") == "Chinese"
    assert language_name("xx") == "xx"


@pytest.mark.parametrize(
    ("reply", "code"),
    [
        ("Sí!", "es"),
        ("si", "es"),
        ("oui", "fr"),
        ("d\u2019accord", "fr"),
        ("Ja, gerne", "de"),
        ("sim", "pt"),
        ("sì grazie", "it"),
        ("ja graag", "nl"),
        ("Tak.", "pl"),
        ("да", "ru"),
        ("evet", "tr"),
        ("好的", "zh"),
        ("はい。", "ja"),
        ("نعم", "ar"),
        ("yes please", "es"),  # English is understood whatever the language
        ("yes", None),
    ],
)
def test_yes_in_the_customers_language(reply: str, code: str | None) -> None:
    assert says_yes(reply, code)


@pytest.mark.parametrize(
    ("reply", "code"),
    [("no", "es"), ("non", "fr"), ("nein", "de"), ("ja", None), ("sí, pero antes...", "es")],
)
def test_anything_else_is_not_a_yes(reply: str, code: str | None) -> None:
    assert not says_yes(reply, code)


def test_every_language_with_a_notice_has_a_handover_line() -> None:
    """A customer offered a person in their language hears the yes taken in it too."""
    assert set(HANDOVER_LINES) == set(NOTICES)
    assert handover_line("ES") == HANDOVER_LINES["es"]
    assert handover_line("en") is None
    assert handover_line(None) is None
