"""Views: each chunk is embedded more than once, every vector naming the same chunk."""

from pathlib import Path

from knowledge import KnowledgeBase
from knowledge.catalogue import MAX_VIEWS
from knowledge.chunking import DEFAULT_VIEWS, TEXT_VIEWS, VIEW_KINDS, chunk_document
from knowledge.sources import parse_document
from tests.support.encoders import RecordingEncoder

PARCELS = (
    "---\nurl: https://help.example/parcels\n---\n# Lost or late parcels\n\n"
    "## My parcel is late\n\nStandard shipping takes 3 to 7 business days.\n\n"
    "## Returned to sender\n\nWe refund the order once it is back.\n"
)


def test_every_view_kind_names_what_people_ask() -> None:
    document = parse_document(Path("parcels.md"), PARCELS.encode())
    late, returned = chunk_document(document, views=VIEW_KINDS)
    assert dict(zip(late.view_kinds, late.views, strict=True)) == {
        "text": "Lost or late parcels — My parcel is late: Standard shipping takes 3 to 7"
        " business days.",
        "section_text": "My parcel is late: Standard shipping takes 3 to 7 business days.",
        "heading": "My parcel is late",
        "title_heading": "Lost or late parcels — My parcel is late",
        "title": "Lost or late parcels",  # the article's first chunk only
    }
    assert "title" not in returned.view_kinds
    assert len(late.views) <= MAX_VIEWS


def test_the_shipped_and_the_reference_view_sets() -> None:
    document = parse_document(Path("parcels.md"), PARCELS.encode())
    (late, _) = chunk_document(document)
    assert set(late.view_kinds) == DEFAULT_VIEWS - {
        "question",
        "asked",
    }  # not an FAQ entry; asked at ingest
    (late, _) = chunk_document(document, views=TEXT_VIEWS)
    assert late.view_kinds == ("text",)
    faq = b"question,answer\nDo you ship on weekends?,Monday to Friday only.\n"
    (entry,) = chunk_document(parse_document(Path("faq.csv"), faq))
    assert entry.view_kinds == ("question", "text")


def test_a_hit_on_any_view_finds_its_chunk_and_each_view_is_stored(tmp_path: Path) -> None:
    (tmp_path / "parcels.md").write_text(PARCELS)
    encoder = RecordingEncoder()
    kb = KnowledgeBase.open(tmp_path / "index", encoder, views=VIEW_KINDS)
    kb.ingest([tmp_path / "parcels.md"])
    assert "My parcel is late" in encoder.texts and "Lost or late parcels" in encoder.texts
    ids, _ = kb._catalogue.all_vectors()
    assert len(ids) == 5 + 4  # two chunks: five views and four (no title view)
    assert len({int(i) // MAX_VIEWS for i in ids}) == 2
    (hit,) = kb.search("returned to sender", k=1)
    assert hit.section == "Returned to sender"
    assert hit.article == "https://help.example/parcels"
