"""The demo help centre's texts as the knowledge base reads them, its FAQ questions, and
the written non-English customer messages (bench/data/customer_languages.yml): the
material the spelling and language tests measure against."""

from __future__ import annotations

import csv
from pathlib import Path

import yaml

from demo.help_centre import DEMO_DIR
from knowledge.sources import discover_files, parse_document

__all__ = ["faq_questions", "help_centre_texts", "written_languages"]

WRITTEN_LANGUAGES = Path(__file__).resolve().parents[2] / "bench/data/customer_languages.yml"


def help_centre_texts() -> list[str]:
    """Every title, heading, FAQ question and passage text of the demo help centre."""
    files, _ = discover_files([DEMO_DIR])
    texts: list[str] = []
    for path in files:
        document = parse_document(path, path.read_bytes())
        texts.append(document.title)
        for section in document.sections:
            texts += [section.heading, section.text, section.question or ""]
    return [text for text in texts if text]


def faq_questions() -> list[str]:
    with (DEMO_DIR / "faq.csv").open(newline="", encoding="utf-8") as file:
        return [row["question"] for row in csv.DictReader(file)]


def written_languages() -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """(family -> language codes, language code -> messages)."""
    data = yaml.safe_load(WRITTEN_LANGUAGES.read_text(encoding="utf-8"))
    return data["families"], data["messages"]
