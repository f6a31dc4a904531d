"""Raw mail -> InboundMessage: charsets, HTML, attachments, quotes, threading ids."""

from __future__ import annotations

import pytest

from channels.email import UnreadableMail, to_inbound
from channels.email.inbound import ATTACHMENTS_ONLY
from channels.email.loops import automatic_reason
from channels.email.mime import read_mail
from channels.messages import Channel
from tests.support.mail import mail


def crlf(text: str) -> str:
    return text.replace("\n", "\r\n")


def test_a_plain_mail_becomes_an_email_message_with_its_message_id() -> None:
    message = to_inbound(
        mail("How long do refunds take?", message_id="<q1@example.com>").as_bytes()
    )
    assert message.channel is Channel.EMAIL
    assert message.address == "ada@example.com"
    assert message.provider_message_id == "<q1@example.com>"
    assert message.text == "How long do refunds take?"
    assert message.profile.name == "Ada Lovelace" and message.profile.email == "ada@example.com"
    assert message.attributes["email"]["subject"] == "Refunds"
    assert message.no_reply_reason is None and message.replies_to == ()


@pytest.mark.parametrize(
    ("charset", "text"),
    [
        ("iso-8859-1", "Où est ma commande? Grüße aus Zürich"),
        ("windows-1252", "Price \u201cquoted\u201d \u2013 50\u20ac"),
        ("koi8-r", "Где мой заказ?"),
        ("shift_jis", "注文はどこですか"),
    ],
)
def test_a_non_utf8_body_and_subject_decode(charset: str, text: str) -> None:
    encoded_subject = "=?{}?b?{}?=".format(
        charset, __import__("base64").b64encode(text.encode(charset)).decode()
    )
    raw = (
        crlf(
            "From: Ada <ada@example.com>\n"
            "To: support@acme.test\n"
            f"Subject: {encoded_subject}\n"
            "Message-ID: <cs@example.com>\n"
            "MIME-Version: 1.0\n"
            f"Content-Type: text/plain; charset={charset}\n"
            "Content-Transfer-Encoding: 8bit\n\n"
        ).encode("ascii")
        + text.encode(charset)
        + b"\r\n"
    )
    message = to_inbound(raw)
    assert message.text == text
    assert message.attributes["email"]["subject"] == text


def test_an_unknown_charset_reads_as_utf8_with_replacements() -> None:
    raw = crlf(
        "From: ada@example.com\nMessage-ID: <u@example.com>\n"
        "Content-Type: text/plain; charset=x-no-such-charset\n\nhello \xff there\n"
    ).encode("latin-1")
    assert to_inbound(raw).text == "hello \ufffd there"


def test_html_only_mail_is_read_as_text_and_attachments_are_listed() -> None:
    message = mail("plain part is replaced below")
    message.set_content(
        "<html><head><style>p {color: red}</style></head><body><p>Where is my "
        "<b>order&nbsp;4417</b>?</p><ul><li>jacket</li><li>boots</li></ul></body></html>",
        subtype="html",
    )
    message.add_attachment(b"%PDF-1.4 fake", maintype="application", subtype="pdf",
                           filename="receipt.pdf")  # fmt: skip
    message.add_attachment(b"\x89PNG....", maintype="image", subtype="png", filename="photo.png")
    inbound = to_inbound(message.as_bytes())
    assert inbound.text.startswith("Where is my order 4417?")
    assert "\n- jacket\n- boots" in inbound.text and "color" not in inbound.text
    assert inbound.attributes["email"]["attachments"] == [
        {"filename": "receipt.pdf", "content_type": "application/pdf", "size": 13},
        {"filename": "photo.png", "content_type": "image/png", "size": 8},
    ]


def test_plain_text_is_preferred_over_html() -> None:
    message = mail("the plain words")
    message.add_alternative("<p>the html words</p>", subtype="html")
    assert to_inbound(message.as_bytes()).text == "the plain words"


def test_quoted_reply_and_signature_are_stripped_and_the_full_text_kept() -> None:
    body = (
        "Thanks! And can I return it in a store?\n\n"
        "Best regards,\nAda Lovelace\nAnalytical Engines Ltd\n\n"
        "On Mon, 2 Mar 2026 at 10:00, Acme Support <support@acme.test> wrote:\n"
        "> Refunds take 5-7 business days.\n> \n> Acme Support\n"
    )
    message = to_inbound(mail(body).as_bytes())
    assert message.text == "Thanks! And can I return it in a store?"
    assert message.attributes["email"]["full_text"].strip() == body.strip()


def test_a_german_reply_header_is_recognised() -> None:
    body = (
        "Wo ist meine Bestellung?\n\nAm 2. März 2026 um 10:00 schrieb Acme <s@acme.test>:\n> alt\n"
    )
    assert to_inbound(mail(body).as_bytes()).text == "Wo ist meine Bestellung?"


@pytest.mark.parametrize(
    "signature",
    [
        "Sent from Outlook for iOS",
        "Get Outlook for Android",
        "Sent from Mail for Windows",
        "Sent from Yahoo Mail on Android",
        "Sent with Proton Mail secure email.",
    ],
)
def test_a_mail_programs_own_signature_is_not_read_as_words(signature: str) -> None:
    # "Do your boots run small?" is answered from the size guide; with Outlook's line
    # under it the bot said it had no good answer.
    message = to_inbound(mail(f"Do your boots run small?\n\n{signature}\n").as_bytes())
    assert message.text == "Do your boots run small?"
    assert signature in message.attributes["email"]["full_text"]


FORWARDED = (
    "From: Acme Outfitters <orders@acme-outfitters.example>\n"
    "Date: Sat, Nov 28, 2026 at 10:02 AM\n"
    "Subject: Your order 4417 has shipped\n"
    "To: <ada@example.com>\n\n"
    "Good news! Your order 4417 is on its way with UPS.\n"
)


@pytest.mark.parametrize(
    "marker",
    [
        "---------- Forwarded message ---------",  # Gmail
        "-------- Forwarded Message --------",  # Thunderbird
        "Begin forwarded message:",  # Apple Mail
        "-----Original Message-----",  # Outlook
    ],
)
def test_a_forwarded_mail_is_read_without_the_forward_line(marker: str) -> None:
    # The customer's own words are the question; the forward line was read with them.
    noted = mail(f"The tracking link doesn't work, where is it?\n\n{marker}\n{FORWARDED}")
    message = to_inbound(noted.as_bytes())
    assert message.text == "The tracking link doesn't work, where is it?"
    # Forwarded without a word: the subject is the question, as for an empty body (the
    # bot read "---------- Forwarded message ---------" as the question).
    bare = mail(f"{marker}\n{FORWARDED}", subject="Fwd: Your order 4417 has shipped")
    assert to_inbound(bare.as_bytes()).text == "Your order 4417 has shipped"


def test_an_empty_body_reads_the_subject() -> None:
    message = to_inbound(mail("", subject="Re: Where is order 4417?").as_bytes())
    assert message.text == "Where is order 4417?"


def test_a_mail_with_no_words_is_never_read_by_the_bot() -> None:
    photo = mail("", subject="")
    photo.add_attachment(b"\x89PNG", maintype="image", subtype="png", filename="zip.png")
    message = to_inbound(photo.as_bytes())
    assert message.text == "(no text, only attachments: zip.png)"
    assert message.preset_reply == ATTACHMENTS_ONLY and message.no_reply_reason is None
    blank = to_inbound(mail("\n\n", subject="Re: ").as_bytes())
    assert blank.text == "(empty message)" and blank.no_reply_reason == "empty message"
    assert blank.preset_reply is None
    # A blank auto-reply keeps its own reason: it is a loop before it is empty.
    automatic = mail("", subject="", headers={"Auto-Submitted": "auto-replied"})
    assert to_inbound(automatic.as_bytes()).no_reply_reason == "auto-submitted: auto-replied"


def test_a_reply_with_only_a_photo_is_not_read_as_its_subject() -> None:
    # "Re: Sizing" is the question the bot already answered: with only a photo under it,
    # the bot answered the size guide again, never said it cannot open the photo, and an
    # agent's thread showed the old subject as the customer's words.
    photo = mail("", subject="Re: Sizing", in_reply_to="<sb-36-mx49ikmk@acme.test>")
    photo.add_attachment(b"\xff\xd8\xff", maintype="image", subtype="jpeg", filename="a.jpg")
    message = to_inbound(photo.as_bytes())
    assert message.text == "(no text, only attachments: a.jpg)"
    assert message.preset_reply == ATTACHMENTS_ONLY
    # A new mail's subject is its words, attachments or not; so is a forward's.
    for subject in ("Broken zip", "Fwd: Broken zip"):
        new = mail("", subject=subject)
        new.add_attachment(b"\xff\xd8\xff", maintype="image", subtype="jpeg", filename="a.jpg")
        assert to_inbound(new.as_bytes()).text == "Broken zip"


def test_threading_ids_most_specific_first_then_the_reply_token() -> None:
    message = to_inbound(
        mail(
            "thanks",
            to="Support <support+sb-12-lk3@acme.test>",
            in_reply_to="<sb-12-lk3@acme.test>",
            references="<first@example.com> <sb-7-abc@acme.test> <sb-12-lk3@acme.test>",
        ).as_bytes()
    )
    assert message.replies_to == (
        "<sb-12-lk3@acme.test>",
        "<sb-7-abc@acme.test>",
        "<first@example.com>",
    )
    tokened = to_inbound(mail("thanks", to="support+SB-9-x1@Acme.test").as_bytes())
    assert tokened.replies_to == ("<sb-9-x1@acme.test>",)


def test_a_mail_without_message_id_gets_a_stable_id_from_its_bytes() -> None:
    raw = crlf("From: ada@example.com\nSubject: hi\n\nhello\n").encode()
    first, again = to_inbound(raw), to_inbound(raw)
    assert first.provider_message_id == again.provider_message_id
    assert first.provider_message_id.startswith("<sha256.")


def test_an_overlong_message_id_is_hashed_to_fit_the_store() -> None:
    long_id = "<" + "x" * 300 + "@example.com>"
    message = to_inbound(mail("hi", message_id=long_id).as_bytes())
    assert len(message.provider_message_id) <= 200
    assert (
        message.provider_message_id
        == to_inbound(mail("hi", in_reply_to=long_id).as_bytes()).replies_to[0]
    )


@pytest.mark.parametrize(
    "raw",
    [b"", b"   \r\n", b"Subject: no sender\r\n\r\nhello\r\n", b"From: nobody\r\n\r\nx\r\n"],
)
def test_a_mail_without_a_sender_is_refused(raw: bytes) -> None:
    with pytest.raises(UnreadableMail):
        to_inbound(raw)


def test_nul_characters_never_reach_the_store() -> None:
    raw = b"From: ada@example.com\r\nMessage-ID: <n@x>\r\n\r\nhel\x00lo\r\n"
    assert to_inbound(raw).text == "hello"


@pytest.mark.parametrize(
    ("headers", "sender", "reason"),
    [
        ({"Auto-Submitted": "auto-replied"}, "ada@example.com", "auto-submitted: auto-replied"),
        ({"Auto-Submitted": "auto-generated; x"}, "a@b.test", "auto-submitted: auto-generated"),
        ({"Precedence": "bulk"}, "news@shop.test", "precedence: bulk"),
        ({"Precedence": "junk"}, "ada@example.com", "precedence: junk"),
        ({"Precedence": "list"}, "ada@example.com", "precedence: list"),
        ({"List-Id": "<offers.shop.test>"}, "ada@example.com", "mailing list"),
        ({"Return-Path": "<>"}, "ada@example.com", "empty return path (a bounce)"),
        ({}, "MAILER-DAEMON@mx.example.com", "automated sender: mailer-daemon"),
        ({}, "postmaster@example.com", "automated sender: postmaster"),
        ({}, "no-reply@shop.test", "automated sender: no-reply"),
        ({}, "noreply+tracking@shop.test", "automated sender: noreply+tracking"),
        ({}, "support@acme.test", "sent from the support address itself"),
    ],
)  # fmt: skip
def test_mail_that_must_not_be_answered(headers: dict[str, str], sender: str, reason: str) -> None:
    parsed = read_mail(mail("I am away", sender=sender, headers=headers).as_bytes())
    assert (
        automatic_reason(parsed.message, parsed.sender, frozenset({"support@acme.test"})) == reason
    )


@pytest.mark.parametrize(
    "subject",
    ["Automatic reply: Refunds", "Out of Office: back Monday", "Abwesenheitsnotiz: Urlaub",
     "Réponse automatique : absent", "AutoReply: received"],
)  # fmt: skip
def test_an_auto_reply_subject_without_headers_is_not_answered(subject: str) -> None:
    parsed = read_mail(mail("I am away", subject=subject).as_bytes())
    reason = "auto-reply subject"
    assert (
        automatic_reason(parsed.message, parsed.sender, frozenset({"support@acme.test"})) == reason
    )


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Auto-Submitted": "no"},
        {"Precedence": "first-class"},
        {"Return-Path": "<ada@example.com>"},
    ],
)
def test_ordinary_mail_may_be_answered(headers: dict[str, str]) -> None:
    message = to_inbound(
        mail("hello", headers=headers).as_bytes(), own_addresses=frozenset({"support@acme.test"})
    )
    assert message.no_reply_reason is None


def test_a_subject_that_only_mentions_an_office_is_answered() -> None:
    parsed = read_mail(mail("hi", subject="Re: Our office order never came").as_bytes())
    assert automatic_reason(parsed.message, parsed.sender, frozenset()) is None


@pytest.mark.parametrize(
    "header",
    [
        "From: Ada Lo::velace <ada@example;.com>",  # the stdlib's parser raised AttributeError
        "To: Acme S:pport <\rsupport@ace.test>",  # ... IndexError
        "Message-ID: <17935\\6@example.com> (\\",
        'In-Reply-To: <a@b> "unterminated',
        'Content-Type: text/plain;(( charset="utf-8"',
    ],
)
def test_malformed_headers_give_a_message_or_a_clear_refusal(header: str) -> None:
    lines = [
        "From: Ada <ada@example.com>",
        "To: support@acme.test",
        "Subject: hi",
        "Message-ID: <m@example.com>",
    ]
    name = header.split(":", 1)[0]
    lines = [line for line in lines if not line.startswith(name + ":")] + [header]
    raw = ("\r\n".join(lines) + "\r\n\r\nhello\r\n").encode("latin-1")
    try:
        message = to_inbound(raw)
    except UnreadableMail as exc:
        assert "From" in str(exc)
    else:
        assert message.text.endswith("hello") and "@" in message.address
