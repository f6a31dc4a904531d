"""How far an encoder backend moves the similarities the router's thresholds read, against
the float ONNX model in the same run: the dialogue evaluation's customer messages
(demo/dialogue_eval/, every split, single messages and conversation turns) searched in
the demo help centre, ingested once per backend.

Per message: the top passage's similarity on each backend (what the answer threshold
reads), whether the top article is the same, whether the top similarity falls on the
other side of the answer threshold (knowledge/answers.py) or the FAQ question threshold
(knowledge/faq.py), and the similarity of each passage both backends return in their
top 5 (matched by article and section).

    .venv/bin/python bench/encoder_similarity_shift.py [--backend onnx-int8|torch]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
from pathlib import Path

from demo.dialogue_eval.data_set import load_data_set
from demo.help_centre import ensure_demo_knowledge
from knowledge.answers import ANSWER_THRESHOLD
from knowledge.base import KnowledgeBase
from knowledge.embeddings import SentenceEncoder
from knowledge.faq import FAQ_QUESTION_THRESHOLD
from knowledge.records import Passage

REFERENCE = "onnx"
TOP = 5


def messages() -> list[str]:
    data = load_data_set()
    texts = [single.text for single in data.singles]
    texts += [turn.say for conversation in data.conversations for turn in conversation.turns]
    return list(dict.fromkeys(texts))


def searched(backend: str, texts: list[str], folder: Path) -> list[list[Passage]]:
    encoder = SentenceEncoder(backend=backend)  # type: ignore[arg-type]
    kb = KnowledgeBase.open(folder, encoder)
    ensure_demo_knowledge(kb)
    vectors = encoder.encode(texts)
    results = [
        kb.search_vector(text, vector, TOP) for text, vector in zip(texts, vectors, strict=True)
    ]
    kb.close()
    encoder.close()
    return results


def crosses(before: float, after: float, threshold: float) -> bool:
    return (before >= threshold) != (after >= threshold)


def describe(name: str, differences: list[float]) -> str:
    absolute = [abs(d) for d in differences]
    return (
        f"{name:44} n={len(differences):4}  mean |diff| {statistics.mean(absolute):.4f}"
        f"  max |diff| {max(absolute):.4f}  mean diff {statistics.mean(differences):+.4f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--backend", choices=["onnx-int8", "torch"], default="onnx-int8")
    backend = parser.parse_args().backend
    texts = messages()
    with tempfile.TemporaryDirectory() as tmp:
        reference = searched(REFERENCE, texts, Path(tmp) / REFERENCE)
        other = searched(backend, texts, Path(tmp) / backend)
    top, shared, questions = [], [], []
    same_article = answer_flips = faq_flips = 0
    for before, after in zip(reference, other, strict=True):
        if not before or not after:
            continue
        top.append(after[0].similarity - before[0].similarity)
        same_article += after[0].article == before[0].article
        answer_flips += crosses(before[0].similarity, after[0].similarity, ANSWER_THRESHOLD)
        if before[0].is_faq and after[0].is_faq and before[0].article == after[0].article:
            questions.append(after[0].question_similarity - before[0].question_similarity)
            faq_flips += crosses(
                before[0].question_similarity, after[0].question_similarity, FAQ_QUESTION_THRESHOLD
            )
        found = {(p.article, p.section): p for p in after}
        for passage in before:
            match = found.get((passage.article, passage.section))
            if match is not None:
                shared.append(match.similarity - passage.similarity)
    print(f"{len(texts)} distinct customer messages; {backend} against {REFERENCE} (reference)")
    print(describe("top passage similarity (each its own top)", top))
    print(describe(f"passages in both top {TOP}s, similarity", shared))
    print(describe("top FAQ entry, question similarity", questions))
    print(f"same top article: {same_article}/{len(top)}")
    print(f"top similarity on the other side of the answer threshold {ANSWER_THRESHOLD}: "
          f"{answer_flips}/{len(top)}")  # fmt: skip
    print(f"top FAQ question similarity on the other side of {FAQ_QUESTION_THRESHOLD}: "
          f"{faq_flips}/{len(questions)}")  # fmt: skip


if __name__ == "__main__":
    main()
