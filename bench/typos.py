"""Spelling correction (nlu/spelling.py): what it restores, what it breaks, what it
buys retrieval, and what it costs per message.

(a) Quality. The NLU training examples (nlu/data/support.yml) and the demo FAQ's
    questions, each with seeded typos (bench/typo_maker.py: a letter left out, two
    swapped, a keyboard neighbour, a doubled letter; about one word in five of 3+
    letters, at least one per text), three draws. Printed: the share of typo'd words
    restored, left as typed, or changed into another wrong word; the share of clean
    words changed (false corrections) in those texts, in the clean texts, and in
    BANKING77's test texts (English the corrector's domain vocabulary never saw).
    Reference in the same run: plain symspellpy (its English dictionary alone, the top
    suggestion one edit away for every word it does not know).
(b) Retrieval. The demo help centre in a real KnowledgeBase (the shipped encoder); each
    FAQ question with 10 typo'd variants: recall@1 of the row's article (the top
    passage's source is the row's URL) without and with correction, for the shipped
    search and for its BM25 half alone. Reference: the clean questions in the same run.
(c) Cost per message: `correct()` and `LanguageDetector.detect()` next to one NLU parse
    (the support model trained here) and one encode of the same text; `build()`'s time
    and memory.
(d) Classification: BANKING77 closed-set accuracy on its test texts with seeded typos,
    without and with correction (a corrector built from its training texts), next to
    the clean test texts.

    .venv/bin/python bench/typos.py [--backend onnx|torch] [--skip-intents]
"""

from __future__ import annotations

import argparse
import csv
import importlib.resources
import os
import random
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path

from symspellpy import SymSpell, Verbosity

from demo.help_centre import DEMO_DIR, ensure_demo_knowledge
from nlu import DEMO_DATA_DIR, load_training_data
from nlu.language import LanguageDetector
from nlu.spelling import SpellingCorrector

sys.path.insert(0, str(Path(__file__).resolve().parent))
from typo_maker import WORD, inject_typos

ROOT = Path(__file__).resolve().parents[1]
BANKING77_TEST = ROOT.parent / "shared/datasets/banking77/test.csv"
RATE = 0.2
DRAWS = 3
VARIANTS = 10
PROTECTED = ("Acme Outfitters", "Pay in 4", "PayPal", "Apple Pay", "Google Pay")


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def faq_rows() -> list[tuple[str, str]]:
    with (DEMO_DIR / "faq.csv").open(newline="", encoding="utf-8") as file:
        return [(row["question"], row["url"]) for row in csv.DictReader(file)]


def help_centre_texts() -> list[str]:
    """Every title, heading, question and passage of the demo help centre, read as the
    knowledge base reads them."""
    from knowledge.sources import discover_files, parse_document

    files, _ = discover_files([DEMO_DIR])
    texts = []
    for path in files:
        document = parse_document(path, path.read_bytes())
        texts.append(document.title)
        for section in document.sections:
            texts += [section.heading, section.text, section.question or ""]
    return texts


class PlainSymSpell:
    """The reference: symspellpy with its English dictionary only, no rules."""

    def __init__(self) -> None:
        self.symspell = SymSpell(max_dictionary_edit_distance=1, prefix_length=7)
        resource = importlib.resources.files("symspellpy").joinpath(
            "frequency_dictionary_en_82_765.txt"
        )
        with importlib.resources.as_file(resource) as path:
            self.symspell.load_dictionary(str(path), term_index=0, count_index=1)

    def correct(self, text: str) -> str:
        def fix(match: object) -> str:
            word = match.group()  # type: ignore[attr-defined]
            found = self.symspell.lookup(word.lower(), Verbosity.TOP, max_edit_distance=1)
            return found[0].term if found else word

        return WORD.sub(fix, text)


def quality(
    name: str, correct: Callable[[str], str], clean: Sequence[str], other: Sequence[str]
) -> None:
    restored = left = wrong = typos = 0
    clean_changed = clean_total = 0
    for draw in range(DRAWS):
        rng = random.Random(draw)
        for text in clean:
            typed, injected = inject_typos(text, rng, RATE)
            before, after = WORD.findall(text), WORD.findall(correct(typed))
            if len(after) != len(before):
                raise AssertionError(f"word count changed: {typed!r}")
            hit = {t.index for t in injected}
            for i, (was, now) in enumerate(zip(before, after, strict=True)):
                if i in hit:
                    typos += 1
                    typed_word = next(t.typed for t in injected if t.index == i)
                    if now.lower() == was.lower():
                        restored += 1
                    elif now == typed_word:
                        left += 1
                    else:
                        wrong += 1
                else:
                    clean_total += 1
                    clean_changed += now.lower() != was.lower()

    def false_rate(texts: Sequence[str]) -> str:
        changed = total = 0
        for text in texts:
            before, after = WORD.findall(text), WORD.findall(correct(text))
            total += len(before)
            changed += sum(a.lower() != b.lower() for a, b in zip(before, after, strict=True))
        return f"{changed / total:.4f} ({changed}/{total})"

    print(
        f"  {name:<26} restored {restored / typos:.3f}  left {left / typos:.3f}  "
        f"wrong word {wrong / typos:.3f}  (of {typos} typos)\n"
        f"  {'':<26} clean words changed: in typo'd texts "
        f"{clean_changed / clean_total:.4f} ({clean_changed}/{clean_total}), "
        f"clean texts {false_rate(clean)}, BANKING77 test {false_rate(other)}"
    )


def recall_at_1(kb: object, queries: Sequence[tuple[str, str]], *, lexical: bool = False) -> float:
    """Share of queries whose top passage comes from the row's URL: the shipped search
    (dense + BM25), or the BM25 half alone."""
    hits = 0
    for text, url in queries:
        search = kb.search_lexical if lexical else kb.search  # type: ignore[attr-defined]
        top = search(text, k=1)
        hits += bool(top) and top[0].source == url
    return hits / len(queries)


def percentiles_ms(call: Callable[[str], object], texts: Sequence[str]) -> str:
    for text in texts[:20]:
        call(text)
    times = []
    for text in texts:
        start = time.perf_counter()
        call(text)
        times.append(time.perf_counter() - start)
    times.sort()
    p50, p99 = statistics.median(times) * 1000, times[int(0.99 * (len(times) - 1))] * 1000
    return f"p50 {p50:8.3f} ms  p99 {p99:8.3f} ms"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--backend", choices=("onnx", "torch"), default="onnx")
    parser.add_argument("--skip-intents", action="store_true", help="leave out (d)")
    args = parser.parse_args()
    print(f"load average at the start: {os.getloadavg()[0]:.1f}")

    examples = [e.text for e in load_training_data([DEMO_DATA_DIR]).examples]
    faq = faq_rows()
    with BANKING77_TEST.open(newline="", encoding="utf-8") as file:
        banking = [row["text"] for row in csv.DictReader(file)][:1000]
    domain = help_centre_texts() + examples

    before = rss_mb()
    start = time.perf_counter()
    corrector = SpellingCorrector.build(domain, protected_terms=PROTECTED)
    built, grown = time.perf_counter() - start, rss_mb() - before
    print(f"SpellingCorrector.build: {built:.2f} s, VmRSS +{grown:.0f} MB")
    start = time.perf_counter()
    plain = PlainSymSpell()
    print(f"reference, plain symspellpy load: {time.perf_counter() - start:.2f} s")

    print(f"\n(a) correction quality ({DRAWS} seeded draws, typo rate {RATE} per word)")
    texts = examples + [q for q, _ in faq]
    for name, correct in (
        ("plain symspellpy (ref.)", plain.correct),
        ("SpellingCorrector", lambda t: corrector.correct(t).text),
    ):
        quality(name, correct, texts, banking)
    seen = Counter(
        f"{c.original}->{c.corrected}" for t in banking for c in corrector.correct(t).changes
    )
    print("  SpellingCorrector's changes in BANKING77 (is each a typo fixed?):")
    print("   ", ", ".join(f"{change} x{n}" if n > 1 else change for change, n in seen.items()))

    print(f"\n(b) retrieval: demo FAQ questions, {VARIANTS} typo'd variants each")
    from knowledge.base import KnowledgeBase
    from knowledge.embeddings import SentenceEncoder

    encoder = SentenceEncoder(backend=args.backend)
    print(f"encoder backend: {args.backend}")
    with tempfile.TemporaryDirectory() as folder:
        kb = KnowledgeBase.open(Path(folder), encoder)
        ensure_demo_knowledge(kb)
        rng = random.Random(7)
        typed = [(inject_typos(q, rng, RATE)[0], url) for q, url in faq for _ in range(VARIANTS)]
        fixed = [(corrector.correct(q).text, url) for q, url in typed]
        changed = sum(a != b for (a, _), (b, _) in zip(typed, fixed, strict=True))
        clean_fixed = [(corrector.correct(q).text, url) for q, url in faq]
        print(
            f"  clean questions (ref.)          recall@1 {recall_at_1(kb, faq):.3f}  n={len(faq)}"
        )
        print(f"  clean, corrected                recall@1 {recall_at_1(kb, clean_fixed):.3f}")
        as_typed = recall_at_1(kb, typed)
        print(f"  typo'd, as typed                recall@1 {as_typed:.3f}  n={len(typed)}")
        print(
            f"  typo'd, corrected               recall@1 {recall_at_1(kb, fixed):.3f}  "
            f"({changed} of {len(typed)} queries changed)"
        )
        print("  the BM25 (FTS5) half alone, which cannot match a misspelt word at all:")
        for label, queries in (
            ("clean questions (ref.)", faq),
            ("typo'd, as typed", typed),
            ("typo'd, corrected", fixed),
        ):
            print(f"    {label:<30}recall@1 {recall_at_1(kb, queries, lexical=True):.3f}")
        kb.close()

        print("\n(c) cost per message (same texts: typo'd support examples and FAQ questions)")
        from nlu import NluModel

        model = NluModel.train(load_training_data([DEMO_DATA_DIR]), encoder)
        rng = random.Random(11)
        sample = [inject_typos(t, rng, RATE)[0] for t in texts[::2]]
        detector = LanguageDetector(preload=True)
        print(f"  NLU parse (ref.)          {percentiles_ms(model.parse, sample)}")
        print(
            f"  encode one text (ref.)    {percentiles_ms(lambda t: encoder.encode([t]), sample)}"
        )
        print(f"  correct()                 {percentiles_ms(corrector.correct, sample)}")
        print(f"  detect()                  {percentiles_ms(detector.detect, sample)}")
        print(f"  (n={len(sample)} messages)")
    if not args.skip_intents:
        intents(encoder)
    encoder.close()


def intents(encoder: object) -> None:
    """(d) BANKING77 intent accuracy (closed set, top-1) on its test texts: clean, with
    typos, and with typos corrected by a corrector built from the training texts."""
    from nlu import Example, NluModel, TrainingData
    from nlu.result import FALLBACK_INTENT

    def read(path: Path) -> tuple[list[str], list[str]]:
        with path.open(newline="", encoding="utf-8") as file:
            rows = list(csv.DictReader(file))
        return [row["text"] for row in rows], [row["category"] for row in rows]

    train_texts, train_labels = read(BANKING77_TEST.with_name("train.csv"))
    test_texts, test_labels = read(BANKING77_TEST)
    print("\n(d) BANKING77 intents (closed-set top-1), test texts with seeded typos")
    start = time.perf_counter()
    examples = [Example(t, y) for t, y in zip(train_texts, train_labels, strict=True)]
    model = NluModel.train(TrainingData(examples), encoder)  # type: ignore[arg-type]
    print(f"  trained {len(train_texts)} examples in {time.perf_counter() - start:.0f} s")
    corrector = SpellingCorrector.build(train_texts)
    rng = random.Random(5)
    typed = [inject_typos(text, rng, RATE)[0] for text in test_texts]
    fixed = [corrector.correct(text).text for text in typed]

    def accuracy(texts: list[str]) -> float:
        results = model.parse_many(texts)
        best = [next(s.name for s in r.ranking if s.name != FALLBACK_INTENT) for r in results]
        return sum(b == y for b, y in zip(best, test_labels, strict=True)) / len(test_labels)

    print(f"  clean test texts (ref.)   accuracy {accuracy(test_texts):.4f}  n={len(test_texts)}")
    print(f"  typo'd, as typed          accuracy {accuracy(typed):.4f}")
    print(f"  typo'd, corrected         accuracy {accuracy(fixed):.4f}")


if __name__ == "__main__":
    main()
