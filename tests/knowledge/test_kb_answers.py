import asyncio

from channels.rendering import answer_text
from knowledge import ANSWER_THRESHOLD, FALLBACK_TEXT, KnowledgeBase, Passage, answer, answer_async
from knowledge.answers import to_answer


def render_passage(passage: Passage, channel: str) -> str:
    """A confident answer quoting `passage`, as `channel` shows it."""
    found = to_answer("question", [passage], threshold=0.0)
    assert found is not None and found.confident
    return answer_text(found, channel)


def test_refund_question_is_answered_with_its_source(demo_kb: KnowledgeBase) -> None:
    result = answer(demo_kb, "how long do refunds take?")
    assert result is not None and result.confident
    assert result.confidence >= ANSWER_THRESHOLD
    assert "within 5 business days" in result.text
    assert result.passage is not None and result.passage.section == "How long do refunds take?"
    assert "[Refunds — How long do refunds take?]" in result.text
    assert "https://help.acme-outfitters.example/returns-and-refunds/refunds" in result.text
    assert result.sources()[0]["source"].endswith("/returns-and-refunds/refunds")
    assert result.sources()[0]["article"] == result.passage.article


def test_an_answer_in_a_language_the_help_centre_does_not_cover_is_none(
    demo_kb: KnowledgeBase,
) -> None:
    assert demo_kb.languages() == {"en"}
    assert answer(demo_kb, "¿cuánto tardan los reembolsos?", language="es") is None
    found = asyncio.run(answer_async(demo_kb, "how long do refunds take?", language="en"))
    assert found is not None and found.confident


def test_off_topic_question_falls_below_the_threshold(demo_kb: KnowledgeBase) -> None:
    result = answer(demo_kb, "what is the capital of Peru?")
    assert result is not None and not result.confident
    assert result.confidence < ANSWER_THRESHOLD
    assert result.text == FALLBACK_TEXT
    assert len(result.sources()) == 3  # the passages tried, for the agent


def test_async_answer_matches(demo_kb: KnowledgeBase) -> None:
    result = asyncio.run(answer_async(demo_kb, "I forgot my password"))
    assert result is not None and result.confident
    assert result.passage is not None and result.passage.section == "Resetting your password"


PASSAGE = Passage(
    document_id="d1",
    chunk_id=1,
    title="Account",
    section="Resetting your password",
    source="https://help.example/account",
    score=0.8,
    text="Select **Sign in**, then\n**Forgot password?** and see [the guide](https://x.example/g).",
    similarity=0.8,
)


def test_sms_is_plain_text_with_a_bare_url() -> None:
    text = render_passage(PASSAGE, "sms")
    assert "**" not in text and "[" not in text and "_" not in text
    assert "Select Sign in, then Forgot password? and see the guide (https://x.example/g)." in text
    assert text.endswith("Source: Account — Resetting your password, https://help.example/account")


def test_web_and_email_are_short_markdown_with_the_source() -> None:
    for channel in ("web", "email"):
        text = render_passage(PASSAGE, channel)
        assert "**Sign in**" in text
        assert text.endswith(
            "_Source: [Account — Resetting your password](https://help.example/account)_"
        )


def test_a_file_source_is_cited_by_its_title_alone() -> None:
    # "guide.md" is the operator's file, nothing a customer can open.
    local = Passage("d", 2, "Guide", "Guide", "/srv/help/guide.md", 0.9, "Text.", 0.9)
    assert render_passage(local, "web").endswith("_Source: Guide_")
    assert render_passage(local, "sms").endswith("Source: Guide")
    assert "guide.md" not in render_passage(local, "sms")
