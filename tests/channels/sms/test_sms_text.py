"""The SMS adapter's pure parts: keywords, segments, rendering, forms, Twilio errors."""

from __future__ import annotations

import pytest

from channels.rendering.sms import MAX_BODY_CHARS, plain_text, render_sms
from channels.sms.inbound import BadForm, KeywordReplies, parse_form, phone_address, to_inbound
from channels.sms.keywords import Keyword, keyword_of
from channels.sms.outbound import delivery_error
from channels.sms.reply_length import too_long_for_one_text
from channels.sms.segments import GSM7, UCS2, count_segments


@pytest.mark.parametrize(
    "text",
    [
        "STOP",
        "stop",
        "  Stop ",
        "STOPALL",
        "unsubscribe",
        "Cancel",
        "END",
        "quit",
        "stop.",
        "revoke",
        "OptOut",
    ],
)
def test_opt_out_keywords_in_any_case_with_spaces(text: str) -> None:
    assert keyword_of(text, opted_out=False) is Keyword.OPT_OUT


@pytest.mark.parametrize("text", ["please stop texting me", "stop it now", "stopped", "", "  "])
def test_sentences_with_a_keyword_in_them_are_ordinary_messages(text: str) -> None:
    assert keyword_of(text, opted_out=False) is None


def test_start_and_unstop_opt_in_yes_only_after_an_opt_out() -> None:
    assert keyword_of("start", opted_out=False) is Keyword.OPT_IN
    assert keyword_of(" UNSTOP", opted_out=True) is Keyword.OPT_IN
    assert keyword_of("yes", opted_out=True) is Keyword.OPT_IN
    assert keyword_of("yes", opted_out=False) is None  # an answer to the bot
    assert keyword_of("Help", opted_out=False) is Keyword.HELP
    assert keyword_of("info", opted_out=True) is Keyword.HELP


@pytest.mark.parametrize(
    ("text", "encoding", "count"),
    [
        ("a" * 160, GSM7, 1),
        ("a" * 161, GSM7, 2),
        ("a" * 306, GSM7, 2),
        ("a" * 307, GSM7, 3),
        ("€" * 80, GSM7, 1),  # extension characters take two septets
        ("€" * 81, GSM7, 2),
        ("a" * 152 + "€" + "a" * 152, GSM7, 3),  # 306 septets, but a pair is never split
        ("é" * 160, GSM7, 1),  # é is in the GSM alphabet
        ("ł" * 70, UCS2, 1),
        ("ł" * 71, UCS2, 2),
        ("ł" * 134, UCS2, 2),
        ("ł" * 135, UCS2, 3),
        ("°" * 70, UCS2, 1),  # the degree sign is not in the GSM alphabet
        ("°" * 71, UCS2, 2),
        ("°" * 134, UCS2, 2),
        ("°" * 135, UCS2, 3),
        ("a" * 159 + "°", UCS2, 3),  # one of them makes all 160 UCS-2: 67 + 67 + 26
        ("😀" * 35, UCS2, 1),  # two UTF-16 units each
        ("😀" * 36, UCS2, 2),
        ("Refund in 5 days 👍", UCS2, 1),
    ],
)
def test_segments_gsm7_and_ucs2(text: str, encoding: str, count: int) -> None:
    segments = count_segments(text)
    assert (segments.encoding, segments.count) == (encoding, count)


def test_markdown_becomes_plain_text_with_bare_links() -> None:
    markdown = (
        "## Refunds\n\n"
        "**Refunds** take *5 business days*. See [the refund page](https://help.example/r) "
        "or <https://help.example/faq>.\n\n"
        "* step one\n* step `two`\n\n"
        "> a quote\n\n"
        "_Source: [Refunds](https://help.example/refunds)_"
    )
    assert plain_text(markdown) == (
        "Refunds\n\n"
        "Refunds take 5 business days. See the refund page: https://help.example/r "
        "or https://help.example/faq.\n\n"
        "- step one\n- step two\n\n"
        "a quote\n\n"
        "Source: Refunds: https://help.example/refunds"
    )


def test_underscores_inside_urls_and_words_are_kept() -> None:
    text = "Use snake_case and https://help.example/a_b_c/d_e"
    assert plain_text(text) == text


def test_a_long_answer_becomes_a_summary_with_the_article_link() -> None:
    article = "https://help.example/returns/refunds"
    text = " ".join(f"Sentence number {i} about refunds." for i in range(200))
    text += f"\n\nSource: Refunds, {article}"
    rendered = render_sms(text)
    assert rendered.shortened and len(rendered.body) <= MAX_BODY_CHARS
    assert rendered.body.startswith("Sentence number 0 about refunds. Sentence number 1")
    assert rendered.body.endswith(f"about refunds.\n\nMore: {article}")


def test_the_given_article_link_wins_and_a_smaller_limit_is_kept() -> None:
    rendered = render_sms("word " * 400, link="https://help.example/a", max_chars=320)
    assert len(rendered.body) <= 320
    assert rendered.body.endswith("...\n\nMore: https://help.example/a")


def test_a_long_text_without_any_link_is_cut_at_a_sentence() -> None:
    rendered = render_sms("This is a sentence. " * 200)
    assert len(rendered.body) <= MAX_BODY_CHARS and rendered.body.endswith("sentence.")


def test_a_short_plain_text_is_sent_as_it_is() -> None:
    assert render_sms("Your refund is on its way.").body == "Your refund is on its way."
    assert not render_sms("Your refund is on its way.").shortened


def test_sender_numbers_are_kept_in_e164() -> None:
    assert phone_address("+1 (415) 555-0101") == "+14155550101"
    assert phone_address("+14155550101") == "+14155550101"
    assert phone_address("whatsapp:+14155550101") == "whatsapp:+14155550101"


def test_a_form_without_sid_or_sender_is_refused_with_the_reason() -> None:
    with pytest.raises(BadForm, match="missing MessageSid, From"):
        parse_form({"Body": "hi"})
    with pytest.raises(BadForm, match="NUL"):
        parse_form({"MessageSid": "SM1", "From": "+14155550101", "Body": "a\x00b"})


def test_media_urls_are_kept_and_a_bare_picture_gets_the_media_reply() -> None:
    form = {
        "MessageSid": "SM1",
        "From": "+14155550101",
        "To": "+15005550006",
        "Body": "",
        "NumMedia": "2",
        "MediaUrl0": "https://api.twilio.com/media/ME1",
        "MediaContentType0": "image/jpeg",
        "MediaUrl1": "https://api.twilio.com/media/ME2",
        "MediaContentType1": "application/pdf",
    }
    replies = KeywordReplies(help="help text")
    inbound = to_inbound(parse_form(form), None, replies)
    assert inbound.attributes["media"] == [
        {"url": "https://api.twilio.com/media/ME1", "content_type": "image/jpeg"},
        {"url": "https://api.twilio.com/media/ME2", "content_type": "application/pdf"},
    ]
    assert inbound.preset_reply == replies.media_only
    assert inbound.profile.phone == "+14155550101"


def test_keywords_get_their_fixed_reply_marked_as_a_consent_notice() -> None:
    sms = parse_form({"MessageSid": "SM1", "From": "+14155550101", "Body": "STOP"})
    replies = KeywordReplies(help="h")
    inbound = to_inbound(sms, Keyword.OPT_OUT, replies)
    assert inbound.preset_reply == replies.opt_out and "START" in replies.opt_out
    assert inbound.preset_reply_attributes == {"consent_notice": True}
    assert inbound.attributes["sms_keyword"] == "opt_out"


@pytest.mark.parametrize(
    ("status", "code", "retryable", "opted_out"),
    [
        (429, 20429, True, False),
        (500, 20500, True, False),
        (503, 20503, True, False),
        (400, 21610, False, True),
        (400, 21211, False, False),
        (401, 20003, False, False),
    ],
)
def test_twilio_errors_map_to_delivery_errors(
    status: int, code: int, retryable: bool, opted_out: bool
) -> None:
    error = delivery_error(status, code, "Twilio's own words")
    assert error.retryable is retryable
    assert (error.opted_out_by is not None) is opted_out
    assert "Twilio's own words" in error.reason and str(code) in error.reason


def test_typographic_punctuation_is_sent_as_gsm7_lookalikes() -> None:
    footer = "Source: Refunds — How long do “refunds” take…, https://help.example/refunds"
    body = render_sms(footer).body
    assert body == 'Source: Refunds - How long do "refunds" take..., https://help.example/refunds'
    assert count_segments(body).encoding == GSM7
    assert render_sms("Zoë paid 5 € 😀").body == "Zoë paid 5 € 😀"  # letters, emoji stay


@pytest.mark.parametrize(
    ("written", "sent"),
    [
        ("Wash at 30 °C (86 °F) or colder.", "Wash at 30 degrees C (86 degrees F) or colder."),
        ("Dry below 40°C.", "Dry below 40 degrees C."),
        ("Pitch the poles at 45°.", "Pitch the poles at 45 degrees."),
    ],
)
def test_the_degree_sign_is_written_as_a_word_so_the_text_stays_gsm7(
    written: str, sent: str
) -> None:
    body = render_sms(written).body

    assert body == sent
    assert count_segments(body).encoding == GSM7


def test_a_persons_text_too_long_for_one_sms_says_why_and_one_that_fits_nothing() -> None:
    # Measured as the phone gets it, without the Markdown's marks.
    fits = "**bold** words " * 120
    assert len(fits) > 1600 and len(plain_text(fits)) <= 1600
    assert too_long_for_one_text(fits) is None
    assert too_long_for_one_text("y" * 161, max_chars=160) == (
        "161 characters are more than one text message takes (160); send it in shorter parts"
    )


@pytest.mark.parametrize(
    ("text", "max_chars", "segments"),
    [
        # (not the degree sign: a phone gets it as a word, `channels.rendering.sms`)
        ("ł" * 70, 160, None),  # UCS-2: 70 in one segment
        ("ł" * 71, 160, 2),
        ("Dzięki " + "a" * 63, 160, None),  # one ę makes all 70 UCS-2
        ("Dzięki " + "a" * 64, 160, 2),
        ("ł" * 737, 1600, None),  # 11 segments of 67: what 1,600 GSM characters take
        ("ł" * 738, 1600, 12),
        ("😀" * 363, 1600, None),  # two UTF-16 units each, never split: 33 a segment
        ("😀" * 364, 1600, 12),
    ],
)
def test_a_persons_text_outside_the_gsm_alphabet_is_held_to_ucs2_segments(
    text: str, max_chars: int, segments: int | None
) -> None:
    reason = too_long_for_one_text(text, max_chars=max_chars)
    if segments is None:
        assert reason is None
        return
    odd = next(ch for ch in text if ch in "😀łę")
    assert reason is not None
    assert reason.startswith(f"{len(text)} characters take {segments} SMS segments as UCS-2")
    assert reason.endswith(f"send it in shorter parts, or without {odd!r}")
    assert count_segments(text).count == segments  # as the sender will count them
