"""Language detection on customer messages: English taken for another language, and
other languages recognised, for the thresholds of nlu/language.py.

English: every example of nlu/data/support.yml (short, slangy: "heya", "ttyl"), the
same with seeded typos (bench/typo_maker.py), and the 3,080 BANKING77 test texts.
Other languages: bench/data/customer_languages.yml (142 messages written for this
project, 30 or more per language family). Printed for high- and low-accuracy mode and
several thresholds (and, in high-accuracy mode, with the spelling-corrected text as
confirmation, `detect(text, corrected=...)`): the share of English messages
given a non-English code (the error that matters: the customer would be told the bot
reads only English), recall per family (right code), and wrong codes. Reference in the
same run: lingua's own top language with no rule of ours (`detect_language_of`).
Then the cost: per-message p50, and the memory the models took (VmRSS growth).

    .venv/bin/python bench/languages.py
"""

from __future__ import annotations

import csv
import os
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import yaml
from lingua import IsoCode639_1, Language, LanguageDetectorBuilder

from nlu import DEMO_DATA_DIR, load_training_data
from nlu.language import CUSTOMER_LANGUAGES, NON_ENGLISH_MIN_CONFIDENCE, LanguageDetector
from nlu.spelling import SpellingCorrector

sys.path.insert(0, str(Path(__file__).resolve().parent))
from typo_maker import inject_typos
from typos import help_centre_texts

ROOT = Path(__file__).resolve().parents[1]
BANKING77_TEST = ROOT.parent / "shared/datasets/banking77/test.csv"
WRITTEN = ROOT / "bench/data/customer_languages.yml"
THRESHOLDS = (0.5, 0.6, 0.7, 0.8, 0.9)


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def english_sets() -> dict[str, list[str]]:
    support = [e.text for e in load_training_data([DEMO_DATA_DIR]).examples]
    with BANKING77_TEST.open(newline="", encoding="utf-8") as file:
        banking = [row["text"] for row in csv.DictReader(file)]
    rng = random.Random(3)
    typed = [inject_typos(text, rng, 0.2)[0] for text in support]
    return {"support.yml": support, "same, typo'd": typed, "banking77 test": banking}


def written() -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    data = yaml.safe_load(WRITTEN.read_text(encoding="utf-8"))
    return data["families"], data["messages"]


def report(
    detector: LanguageDetector, label: str, corrector: SpellingCorrector | None = None
) -> None:
    """With `corrector`, each text is detected with its corrected form as confirmation."""
    english = english_sets()
    families, messages = written()

    def detect(text: str) -> str | None:
        corrected = corrector.correct(text).text if corrector else None
        return detector.detect(text, corrected=corrected).code

    cells = []
    for name, texts in english.items():
        wrong = [t for t in texts if detect(t) not in (None, "en")]
        cells.append(f"{name} {len(wrong) / len(texts):.4f} ({len(wrong)}/{len(texts)})")
    for family, codes in families.items():
        texts = [(code, text) for code in codes for text in messages[code]]
        found = [detect(text) for _, text in texts]
        right = sum(code == got for (code, _), got in zip(texts, found, strict=True))
        wrong = sum(got not in (None, code) for (code, _), got in zip(texts, found, strict=True))
        cells.append(f"{family} {right}/{len(texts)}" + (f" ({wrong} wrong)" if wrong else ""))
    print(f"  {label:<24} " + "  ".join(cells))


def lingua_alone(low: bool) -> Any:
    """lingua's own detector over the same languages, with none of our rules."""
    languages = [
        Language.from_iso_code_639_1(getattr(IsoCode639_1, code.upper()))
        for code in CUSTOMER_LANGUAGES
    ]
    builder = LanguageDetectorBuilder.from_languages(*languages)
    return (builder.with_low_accuracy_mode() if low else builder).build()


def reference(raw: Any) -> None:
    """lingua's own top language, no rule of ours."""
    english = english_sets()
    families, messages = written()
    cells = []
    for name, texts in english.items():
        wrong = []
        for text in texts:
            language = raw.detect_language_of(text)
            if language is not None and language.iso_code_639_1.name != "EN":
                wrong.append(text)
        cells.append(f"{name} {len(wrong) / len(texts):.4f} ({len(wrong)}/{len(texts)})")
    for family, codes in families.items():
        right = total = 0
        for code in codes:
            for text in messages[code]:
                language = raw.detect_language_of(text)
                total += 1
                right += language is not None and language.iso_code_639_1.name.lower() == code
        cells.append(f"{family} {right}/{total}")
    print(f"  {'lingua top-1 (ref.)':<24} " + "  ".join(cells))


def timing(detector: LanguageDetector, raw_detector: Any, texts: list[str]) -> tuple[float, float]:
    for text in texts[:50]:
        detector.detect(text)
    own, raw = [], []
    for text in texts:
        start = time.perf_counter()
        detector.detect(text)
        own.append(time.perf_counter() - start)
        start = time.perf_counter()
        raw_detector.detect_language_of(text)
        raw.append(time.perf_counter() - start)
    return statistics.median(own) * 1000, statistics.median(raw) * 1000


def main() -> None:
    examples = [e.text for e in load_training_data([DEMO_DATA_DIR]).examples]
    corrector = SpellingCorrector.build(examples + help_centre_texts())
    english = english_sets()
    _, messages = written()
    sample = english["support.yml"] + english["banking77 test"][:500]
    sample += [text for texts in messages.values() for text in texts]
    print(f"load average at the start: {os.getloadavg()[0]:.1f}")
    print("English taken for another language (share, count) | recall per family (right code)")
    for low in (True, False):
        mode = "low-accuracy" if low else "high-accuracy"
        before = rss_mb()
        start = time.perf_counter()
        detector = LanguageDetector(low_accuracy=low, preload=True)
        loaded = time.perf_counter() - start
        grown = rss_mb() - before
        print(f"\n{mode} mode: models loaded in {loaded:.2f} s, VmRSS +{grown:.0f} MB")
        raw = lingua_alone(low)
        reference(raw)
        for threshold in THRESHOLDS:
            shipped = " (shipped)" if threshold == NON_ENGLISH_MIN_CONFIDENCE and not low else ""
            chosen = LanguageDetector(min_confidence=threshold, low_accuracy=low)
            report(chosen, f"threshold {threshold}{shipped}")
            if not low:
                report(chosen, "  + confirmed, corrected", corrector)
        own, alone = timing(detector, raw, sample)
        print(f"  detect() p50 {own:.3f} ms; lingua detect_language_of p50 {alone:.3f} ms")


if __name__ == "__main__":
    main()
