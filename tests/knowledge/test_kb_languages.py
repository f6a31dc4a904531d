"""Documents carry a language; a search can ask for one."""

import asyncio
import logging
from pathlib import Path

import pytest

from knowledge import KnowledgeBase, answer
from knowledge.embeddings import SentenceEncoder
from knowledge.sources import parse_document
from tests.support.encoders import RecordingEncoder

DEVOLUCIONES = (
    "---\ntitle: Devoluciones\nlanguage: es\nurl: https://ayuda.example/devoluciones\n---\n\n"
    "## ¿Cuánto tarda un reembolso?\n\nLos reembolsos se emiten en un plazo de 5 días"
    " hábiles desde que la devolución llega a nuestro almacén.\n\n"
    "## Envíos internacionales\n\nEnviamos a Canadá, México y España; la entrega tarda"
    " de 7 a 14 días hábiles.\n"
)
REFUNDS = (
    "---\ntitle: Refunds\nurl: https://help.example/refunds\n---\n\n"
    "## How long do refunds take?\n\nRefunds are issued within 5 business days of your"
    " return arriving at our warehouse.\n"
)


@pytest.fixture
def help_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "help"
    folder.mkdir()
    (folder / "devoluciones.md").write_text(DEVOLUCIONES)
    (folder / "refunds.md").write_text(REFUNDS)
    (folder / "faq.csv").write_text(
        "question,answer,language\n"
        "¿Aceptan PayPal?,Sí. Aceptamos PayPal y tarjetas.,es-MX\n"
        "Do you take PayPal?,Yes. We take PayPal and cards.,\n"
    )
    return folder


def test_languages_are_read_stored_and_listed(help_dir: Path, tmp_path: Path) -> None:
    kb = KnowledgeBase.open(tmp_path / "index", RecordingEncoder())
    assert kb.languages() == set()
    kb.ingest([help_dir])
    assert kb.languages() == {"en", "es"}
    by_title = {d.title: d.language for d in kb.list_documents()}
    assert by_title["Devoluciones"] == "es" and by_title["Refunds"] == "en"
    html = b'<html lang="es-ES"><body><h1>Ayuda</h1><p>Hola.</p></body></html>'
    assert parse_document(Path("ayuda.html"), html).language == "es"


def test_a_search_in_a_language_sees_only_its_documents(help_dir: Path, tmp_path: Path) -> None:
    kb = KnowledgeBase.open(tmp_path / "index", RecordingEncoder())
    kb.ingest([help_dir])
    spanish = kb.search("reembolso refunds PayPal", k=10, language="es")
    assert spanish and {p.language for p in spanish} == {"es"}
    assert {p.title for p in spanish} == {"Devoluciones", "Frequently asked questions"}
    (paypal,) = kb.search("¿Aceptan PayPal?", k=1, language="es")  # es-MX is stored as es
    assert paypal.is_faq and paypal.language == "es" and paypal.text.startswith("Sí.")
    english = asyncio.run(kb.search_async("reembolso refunds PayPal", k=10, language="en"))
    assert {p.language for p in english} == {"en"}
    assert len(kb.search("reembolso refunds PayPal", k=10)) == len(spanish) + len(english)
    assert kb.search("refunds", k=3, language="fr") == []  # nothing in French
    assert kb.search_lexical("reembolsos", k=5, language="en") == []


def test_a_spanish_question_gets_the_spanish_help_centre(
    help_dir: Path, tmp_path: Path, encoder: SentenceEncoder
) -> None:
    kb = KnowledgeBase.open(tmp_path / "index", encoder)
    kb.ingest([help_dir / "devoluciones.md", help_dir / "refunds.md"])
    assert answer(kb, "¿cuándo me devuelven el dinero?", language="fr") is None
    (best,) = kb.search("¿cuándo me devuelven el dinero?", k=1, language="es")
    assert best.section == "¿Cuánto tarda un reembolso?"
    assert best.article == "https://ayuda.example/devoluciones"
    (best,) = kb.search("¿hacen envíos a Canadá?", k=1, language="es")
    assert best.section == "Envíos internacionales"


def test_a_value_that_is_not_a_language_code_is_logged_and_english(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    text = "---\ntitle: Help\nlanguage: Klingon!\n---\n\nText.\n"
    with caplog.at_level(logging.WARNING, logger="knowledge"):
        document = parse_document(tmp_path / "help.md", text.encode())
    assert document.language == "en"
    assert "help.md" in caplog.text and "Klingon" in caplog.text
