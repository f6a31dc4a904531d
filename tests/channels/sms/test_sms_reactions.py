"""A phone's reaction to one of our texts (an iPhone tapback sent on as SMS) is logged
without a reply; a customer's own sentence in similar words is read as usual."""

from __future__ import annotations

import pytest

from channels.sms.inbound import KeywordReplies, parse_form, to_inbound
from channels.sms.reactions import reaction_of

ANSWER = "Order 4417 is on its way. It travels with UPS: https://www.ups.com/track?t=1Z"


@pytest.mark.parametrize(
    ("text", "reaction"),
    [
        (f"Liked “{ANSWER}”", "Liked"),
        (f"Loved “{ANSWER}”", "Loved"),
        ("Disliked “Hi! How can I help you today?”", "Disliked"),
        ("Laughed at “Hi! How can I help you today?”", "Laughed at"),
        ("Emphasized “Refunds are issued within 5 business days…”", "Emphasized"),
        ("Questioned “I want to answer the right question.\nDo you mean:”", "Questioned"),
        ('Liked "Order 4417 is on its way."', "Liked"),
        ("Reacted 👍 to “Order 4417 is on its way.”", "Reacted 👍 to"),
        ("Removed a heart from “Order 4417 is on its way.”", "Removed a heart from"),
        ("Removed a question mark from “Order 4417”", "Removed a question mark from"),
        ("  Liked “Order 4417 is on its way.” ", "Liked"),
    ],
)
def test_the_reactions_phones_send_are_recognised(text: str, reaction: str) -> None:
    assert reaction_of(text) == reaction


@pytest.mark.parametrize(
    "text",
    [
        "Loved the boots but the zip broke",
        "Liked “the red ones” better, can I swap them?",
        "Liked",
        "Liked “”",
        "Questioned why my order is late",
        "where is my order 4417?",
    ],
)
def test_a_customers_own_sentence_is_no_reaction(text: str) -> None:
    assert reaction_of(text) is None


def test_a_reaction_is_logged_without_a_reply_and_marked() -> None:
    form = {"MessageSid": "SM1", "From": "+14155550101", "Body": f"Liked “{ANSWER}”"}
    inbound = to_inbound(parse_form(form), None, KeywordReplies(help="h"))
    assert inbound.no_reply_reason == "reaction to our text"
    assert inbound.attributes["sms_reaction"] == "Liked"
    assert inbound.preset_reply is None
    assert inbound.text == f"Liked “{ANSWER}”"  # kept as the phone sent it
