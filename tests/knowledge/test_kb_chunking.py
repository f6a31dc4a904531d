from pathlib import Path

import pytest

from knowledge.chunking import MAX_WORDS, chunk_document, split_text
from knowledge.sources import UnreadableFile, parse_document


def test_markdown_is_chunked_along_headings_with_titles_kept() -> None:
    text = "---\nurl: https://help.example/r\n---\n# Refunds\n\nIntro line.\n\n## Timing\n\n"
    text += "Refunds take 5 days.\n\n### Cards\n\nCard refunds show later.\n"
    document = parse_document(Path("refunds.md"), text.encode())
    chunks = chunk_document(document)
    assert [(c.title, c.section) for c in chunks] == [
        ("Refunds", ""),
        ("Refunds", "Timing"),
        ("Refunds", "Cards"),
    ]
    assert chunks[1].text == "Refunds take 5 days."
    assert chunks[1].source == "https://help.example/r"
    assert chunks[1].views == (
        "Refunds — Timing: Refunds take 5 days.",
        "Timing: Refunds take 5 days.",  # the section without the article's title
    )
    assert chunks[1].view_kinds == ("text", "section_text")
    assert {c.article for c in chunks} == {"https://help.example/r"}


def test_long_sections_are_split_by_paragraph_under_the_word_limit() -> None:
    paragraph = " ".join(["word"] * 60) + "."
    text = "# Guide\n\n## Long\n\n" + "\n\n".join([paragraph] * 7)
    chunks = chunk_document(parse_document(Path("guide.md"), text.encode()))
    assert len(chunks) == 4  # 7 paragraphs of 60 words, two per chunk
    assert all(len(c.text.split()) <= MAX_WORDS for c in chunks)
    assert all(c.section == "Long" and c.title == "Guide" for c in chunks)


def test_one_huge_paragraph_is_cut_at_sentences_and_words() -> None:
    sentence = " ".join(["w"] * 40) + "."
    pieces = split_text(" ".join([sentence] * 10) + " " + " ".join(["x"] * 400))
    assert all(len(p.split()) <= MAX_WORDS for p in pieces)
    assert sum(len(p.split()) for p in pieces) == 800


def test_html_headings_become_sections_and_scripts_are_dropped() -> None:
    html = (
        "<html><head><title>Help</title><script>var x=1;</script></head><body>"
        "<h1>Shipping</h1><p>Intro.</p><h2>Costs</h2><p>Free over $75.</p>"
        "<ul><li>Express $19.95</li></ul></body></html>"
    )
    chunks = chunk_document(parse_document(Path("ship.html"), html.encode()))
    assert [(c.title, c.section) for c in chunks] == [("Shipping", ""), ("Shipping", "Costs")]
    assert chunks[1].text == "Free over $75.\n\nExpress $19.95"
    assert "var x" not in " ".join(c.text for c in chunks)


def test_faq_csv_yaml_and_json_give_one_chunk_per_entry_with_the_question_embedded() -> None:
    csv_text = "question,answer,url,title\nDo you ship?,Yes.,https://x.example/s,Shipping\n"
    yaml_text = "- question: Do you ship?\n  answer: Yes.\n"
    json_text = '[{"question": "Do you ship?", "answer": "Yes."}]'
    for name, text in (("faq.csv", csv_text), ("faq.yaml", yaml_text), ("q.json", json_text)):
        (chunk,) = chunk_document(parse_document(Path(name), text.encode()))
        assert chunk.text == "Yes."
        assert chunk.views[0] == "Do you ship?"
        assert "Do you ship?" in chunk.views[1]
    (chunk,) = chunk_document(parse_document(Path("faq.csv"), csv_text.encode()))
    assert chunk.source == "https://x.example/s"
    assert chunk.section == "Shipping: Do you ship?"


def test_plain_text_is_titled_from_its_file_name() -> None:
    (chunk,) = chunk_document(parse_document(Path("store-hours.txt"), b"Open 9 to 5."))
    assert (chunk.title, chunk.text) == ("Store hours", "Open 9 to 5.")


def test_an_faq_csv_without_question_and_answer_columns_is_refused_even_with_no_rows() -> None:
    for text in ("q,a\n", "q,a\nDo you ship?,Yes.\n", "question,reply\n"):
        with pytest.raises(UnreadableFile) as refused:
            parse_document(Path("faq.csv"), text.encode())
        assert "faq.csv: an FAQ CSV needs question and answer columns; its header has" in str(
            refused.value
        )
    with pytest.raises(UnreadableFile, match=r"its header has q, a \(missing: question, answer\)"):
        parse_document(Path("faq.csv"), b"q,a\n")
    # The right header with no rows, or nothing at all, is an FAQ with no entries.
    for text in ("question,answer\n", ""):
        assert parse_document(Path("faq.csv"), text.encode()).sections == []
