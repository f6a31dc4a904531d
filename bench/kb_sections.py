"""Which section of the right article a search shows (`knowledge.broad_questions`).

Two kinds of question, through the real KnowledgeBase on the demo help centre:

- broad: the article named as a whole, generated from every article's title with a few
  templates ("tell me about returning items bought in a store", "refunds?"). Counted:
  how often the article is found first, and then shown by its first section.
- specific: the paraphrased questions of bench/data/help_centre_questions.yaml and the
  dialogue evaluation's single messages with one expected article (demo/dialogue_eval),
  each about a detail. Counted: how often the shown section is the article's first
  section, and every question whose section the rule changed, for a reader to judge.

Each figure is printed for search with the rule and without it (the reference, same
run, same index): only which section is shown may differ, so the articles found, their
order and scores are checked to be the same. Last, what the rule costs a search in
CPU, against the same searches without it.

    python bench/kb_sections.py [--changed]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path

import yaml

from demo.dialogue_eval.data_set import article_key, load_data_set
from demo.help_centre import DEMO_DIR
from knowledge import KnowledgeBase, Passage
from knowledge.embeddings import SentenceEncoder

QUESTIONS = Path(__file__).resolve().parent / "data" / "help_centre_questions.yaml"
TEMPLATES = ("tell me about {}", "{}?", "what's the deal with {}", "info on {} please")


def first_sections(kb: KnowledgeBase) -> dict[str, int]:
    """Article -> its first section's chunk (FAQ entries are not sections)."""
    version = kb._current_index()
    rows = kb._catalogue._db.execute("SELECT DISTINCT article FROM chunks").fetchall()
    articles = sorted(str(row[0]) for row in rows)
    chunks = version.article_chunks(articles, None)
    facts = version.chunk_facts(chunks)
    first: dict[str, int] = {}
    for chunk in chunks:
        if facts[chunk].question is None:
            first.setdefault(facts[chunk].article, chunk)
    return first


def titles(kb: KnowledgeBase, first: dict[str, int]) -> dict[str, str]:
    passages = kb._current_index().passages([(c, 0.0, 0.0) for c in first.values()])
    return {p.article: p.title for p in passages}


@contextmanager
def rule_off(kb: KnowledgeBase) -> Iterator[None]:
    """Search shows the sections it found, as without `knowledge.broad_questions`."""
    rule = kb._lead_sections
    kb._lead_sections = lambda version, query, shown, own, facts: (shown, own)  # type: ignore[method-assign]
    try:
        yield
    finally:
        kb._lead_sections = rule  # type: ignore[method-assign]


def search_both(kb: KnowledgeBase, text: str) -> tuple[list[Passage], list[Passage]]:
    """(with the rule, without it) for one question."""
    found = kb.search(text, k=3)
    with rule_off(kb):
        reference = kb.search(text, k=3)
    same = [(p.article, p.score, p.similarity) for p in found] == [
        (p.article, p.score, p.similarity) for p in reference
    ]
    if not same:
        raise SystemExit(f"the rule changed more than the section shown for {text!r}")
    return found, reference


def search_cost(kb: KnowledgeBase, texts: list[str]) -> tuple[float, float]:
    """Median process CPU ms per search with the rule and without it, rounds interleaved
    (the encoding is done once, outside the timing)."""
    vectors = kb._encoder.encode(texts)
    timed: dict[bool, list[float]] = {True: [], False: []}
    for _ in range(5):
        for on in (False, True):
            with nullcontext() if on else rule_off(kb):
                started = time.process_time()
                for text, vector in zip(texts, vectors, strict=True):
                    kb.search_vector(text, vector, 3)
                timed[on].append((time.process_time() - started) * 1000 / len(texts))
    return statistics.median(timed[True]), statistics.median(timed[False])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--changed", action="store_true", help="list every changed section")
    args = parser.parse_args()
    encoder = SentenceEncoder()
    with tempfile.TemporaryDirectory() as tmp:
        kb = KnowledgeBase.open(Path(tmp), encoder)
        kb.ingest([DEMO_DIR])
        first = first_sections(kb)
        by_key = {article_key(url): url for url in first}
        broad = [
            (template.format(title.lower()), article)
            for article, title in sorted(titles(kb, first).items())
            for template in TEMPLATES
        ]
        specific = [
            (row["q"], by_key[article_key(row["articles"][0])])
            for row in yaml.safe_load(QUESTIONS.read_text())["questions"]
            if len(row["articles"]) == 1
        ]
        specific += [
            (case.text, by_key[case.expect.articles[0][0]])
            for case in load_data_set().singles
            if case.split != "holdout"
            and case.expect.kind == "article"
            and case.expect.articles[0][0] in by_key
        ]
        print(
            f"{len(first)} articles; {len(broad)} broad questions ({len(TEMPLATES)} per"
            f" title); {len(specific)} specific questions with one expected article\n"
        )
        changed: list[str] = []
        for kind, questions in (("broad", broad), ("specific", specific)):
            found_first = {"with the rule": 0, "without (reference)": 0}
            right = 0
            for text, article in questions:
                after, before = search_both(kb, text)
                if after[0].article != article:
                    continue
                right += 1
                found_first["with the rule"] += after[0].chunk_id == first[article]
                found_first["without (reference)"] += before[0].chunk_id == first[article]
                if after[0].chunk_id != before[0].chunk_id:
                    changed.append(
                        f"  [{kind}] {text!r}: {before[0].section!r} -> {after[0].section!r}"
                    )
            print(f"{kind}: right article first {right}/{len(questions)}; of those, shown by")
            for name, count in found_first.items():
                print(f"  the article's first section, {name:22s} {count}/{right}")
        print(f"\nsections changed by the rule: {len(changed)}")
        if args.changed:
            print("\n".join(changed))
        with_rule, without = search_cost(kb, [text for text, _ in specific])
        print(
            f"\nCPU per search (median of 5 rounds over the specific questions): with the"
            f" rule {with_rule:.2f} ms, without it {without:.2f} ms (reference)"
        )


if __name__ == "__main__":
    main()
