"""What the Slack desk posts about the files a customer sends: in a card's thread when
they write during a handoff (their words, and a line per file: a picture alone has no
words), and on the card's last messages for what they sent before it."""

from __future__ import annotations

from datetime import UTC, datetime

from channels.handoff import CustomerUpdate, HandoffPacket, PacketMessage, SentFile
from channels.slack.cards import MAX_TEXT
from channels.slack.desk import SlackDesk
from tests.support.fakes import RecordingDeskCalls

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
PICTURE = "https://api.twilio.com/2010-04-01/Accounts/AC/Messages/MM1/Media/ME1"


async def thread_text(update: CustomerUpdate) -> str:
    calls = RecordingDeskCalls()
    await SlackDesk(calls, "CHANDOFFS1", wake=lambda: None).customer_wrote(update)
    ((method, arguments, purpose, handoff_id),) = calls.queued
    assert (method, purpose, handoff_id) == ("chat.postMessage", "thread_message", 7)
    return str(arguments["text"])


async def test_words_alone_are_the_customers_line() -> None:
    update = CustomerUpdate(7, 3, "Thanks & bye", NOW)
    assert await thread_text(update) == "*Customer:* Thanks &amp; bye"


async def test_a_picture_alone_is_a_link_the_agent_can_open() -> None:
    update = CustomerUpdate(7, 3, "", NOW, files=(SentFile("picture (image/jpeg)", PICTURE),))
    assert await thread_text(update) == (
        f"*Customer* sent:\n:paperclip: <{PICTURE}|picture (image/jpeg)>"
    )


async def test_words_with_files_and_a_file_without_a_link() -> None:
    files = (
        SentFile("zip.png (image/png), in the support mailbox"),
        SentFile("odd <name>", "https://example.test/a|b"),  # would break Slack's link
    )
    update = CustomerUpdate(7, 3, "see attached", NOW, files=files)
    assert await thread_text(update) == (
        "*Customer:* see attached\n"
        ":paperclip: zip.png (image/png), in the support mailbox\n"
        ":paperclip: odd &lt;name&gt;"
    )


def packet_with(*messages: PacketMessage) -> HandoffPacket:
    return HandoffPacket(
        handoff_id=7,
        conversation_id=3,
        customer_id=1,
        channel="sms",
        reason="customer_asked",
        intent="talk_to_human",
        confidence=0.98,
        created_at=NOW,
        customer_name="Ada Lovelace",
        customer_email=None,
        customer_phone="+14155550101",
        customer_verified=True,
        lifecycle_stage="customer",
        account_name=None,
        summary="The customer asked for a person.",
        last_messages=list(messages),
    )


async def last_messages_on_card(packet: HandoffPacket) -> str:
    calls = RecordingDeskCalls()
    await SlackDesk(calls, "CHANDOFFS1", wake=lambda: None).handoff_opened(packet)
    ((_, arguments, purpose, _),) = calls.queued
    assert purpose == "handoff_card"
    (last,) = [b for b in arguments["blocks"] if "Last messages" in str(b.get("text"))]
    return str(last["text"]["text"])


async def test_a_picture_sent_before_the_handoff_shows_on_the_cards_last_messages() -> None:
    picture = SentFile("picture (image/jpeg)", PICTURE)
    packet = packet_with(
        PacketMessage("customer", "", NOW, (picture,)),
        PacketMessage("customer", "a person please", NOW),
    )
    assert await last_messages_on_card(packet) == (
        "*Last messages*\n"
        f"*customer:* :paperclip: <{PICTURE}|picture (image/jpeg)>\n"
        "*customer:* a person please"
    )


async def test_the_bots_markdown_reads_as_text_on_the_card() -> None:
    # Slack does not read Markdown: the agent saw "**Track an order**" and
    # "_Source: [Refunds](https://...)_" as typed. The customer's words stay as written.
    answer = (
        "Enter your order number on the **Track an order** page.\n\n"
        "_Source: [Where is my order?](https://help.example/track)_"
    )
    packet = packet_with(
        PacketMessage("customer", "where is **it**", NOW),
        PacketMessage("bot", answer, NOW),
    )
    assert await last_messages_on_card(packet) == (
        "*Last messages*\n"
        "*customer:* where is **it**\n"
        "*bot:* Enter your order number on the Track an order page.\n\n"
        "Source: Where is my order? (https://help.example/track)"
    )


async def test_an_answer_the_customer_never_got_is_marked_on_the_card() -> None:
    packet = packet_with(
        PacketMessage("customer", "where is my order?", NOW),
        PacketMessage(
            "bot",
            "It ships Monday",
            NOW,
            not_delivered="not delivered: the send failed (Twilio answered HTTP 400)",
        ),
        PacketMessage("customer", "a person please", NOW),
    )
    assert await last_messages_on_card(packet) == (
        "*Last messages*\n"
        "*customer:* where is my order?\n"
        "*bot:* :warning: _not delivered: the send failed (Twilio answered HTTP 400)_ "
        "It ships Monday\n"
        "*customer:* a person please"
    )


async def test_long_answers_never_push_a_not_delivered_mark_off_the_card() -> None:
    # Ten long bot answers overflow Slack's section cap; the newest failed. Its mark sits
    # right after the author and every line is shortened, so all ten lines and the mark
    # are on the card (the mark at the end of a line was cut with the newest messages).
    answer = "Your refund is on its way and should reach your card soon. " * 20
    failed = "not delivered: the send failed (Twilio answered HTTP 400)"
    messages = [PacketMessage("bot", f"Answer {n}. {answer}", NOW) for n in range(9)]
    messages.append(PacketMessage("bot", f"Answer 9. {answer}", NOW, not_delivered=failed))
    text = await last_messages_on_card(packet_with(*messages))
    lines = text.split("\n")[1:]
    assert len(text) <= MAX_TEXT
    assert [line.split(". ", 1)[0] for line in lines] == [
        *(f"*bot:* Answer {n}" for n in range(9)),
        f"*bot:* :warning: _{failed}_ Answer 9",
    ]
