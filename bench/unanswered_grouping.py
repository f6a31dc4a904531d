"""How well the report groups unanswered questions: lexical (TF-IDF) against the
sentence encoder (all-MiniLM-L6-v2, the shipped model), on paraphrase groups written
for this bench (customers asking one thing several ways, as a help centre's missing
articles are asked), plus unrelated one-off questions.

Pairwise scores: of the pairs of wordings put in one group, how many truly belong
together (precision), and of the pairs that belong together, how many were grouped
(recall). The reference in the same run: every wording alone (precision undefined,
recall 0) and all in one group.

    .venv/bin/python bench/unanswered_grouping.py
"""

from __future__ import annotations

import itertools
import sys
import time
from pathlib import Path

# bench/analytics.py would shadow the analytics package: the repository root goes first.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from analytics.support.unanswered import groups_of
from knowledge.embeddings import SentenceEncoder

TRUTH: tuple[tuple[str, ...], ...] = (
    (
        "do you ship to canada",
        "can you deliver to toronto",
        "shipping to canada possible",
        "do you send parcels to canada",
        "is delivery available in canada",
    ),
    (
        "can i pay with bitcoin",
        "do you take crypto payments",
        "pay with bitcoin",
        "is cryptocurrency accepted",
        "can i use ethereum to pay",
    ),
    (
        "is there a student discount",
        "student discount available",
        "discount for students",
        "do students get a reduced price",
        "any offers for university students",
    ),
    (
        "do you offer gift wrapping",
        "can you gift wrap my order",
        "gift wrapping option",
        "can the parcel be wrapped as a present",
        "do you wrap gifts",
    ),
    (
        "can i rent a tent for a weekend",
        "do you rent tents",
        "tent rental",
        "is it possible to hire camping gear",
        "rent a tent",
    ),
    (
        "do you have a store in berlin",
        "is there a shop in berlin",
        "berlin store opening hours",
        "where can i buy in person in germany",
    ),
    (
        "can i change the size after ordering",
        "swap size on my order",
        "i ordered the wrong size can you change it",
        "change size of jacket in my order",
    ),
    (
        "do you price match",
        "will you match a competitor's price",
        "price matching policy",
        "cheaper elsewhere can you match it",
    ),
)
ONE_OFFS = (
    "what is the capital of peru",
    "who won the game last night",
    "tell me a joke",
    "what's the weather tomorrow",
    "is your ceo married",
)


def pairs(groups: list[list[str]]) -> set[frozenset[str]]:
    return {frozenset(p) for g in groups for p in itertools.combinations(g, 2)}


def scores(found: list[list[str]], truth: set[frozenset[str]]) -> str:
    made = pairs(found)
    right = len(made & truth)
    precision = f"{right / len(made):.2f}" if made else "n/a"
    recall = right / len(truth)
    return f"precision {precision}  recall {recall:.2f}  groups {len(found)}"


def main() -> None:
    wordings = [w for group in TRUTH for w in group] + list(ONE_OFFS)
    truth = pairs([list(g) for g in TRUTH])
    print(f"{len(wordings)} wordings, {len(TRUTH)} paraphrase groups, {len(ONE_OFFS)} one-offs")
    print(f"reference, each alone:     {scores([[w] for w in wordings], truth)}")
    print(f"reference, all together:   {scores([wordings], truth)}")
    started = time.perf_counter()
    lexical = [[wordings[n] for n in g] for g in groups_of(wordings)]
    lexical_ms = (time.perf_counter() - started) * 1000
    print(f"lexical (TF-IDF):          {scores(lexical, truth)}  {lexical_ms:.1f} ms")
    encoder = SentenceEncoder()
    encoder.encode(["warm up"])
    started = time.perf_counter()
    meaning = [[wordings[n] for n in g] for g in groups_of(wordings, encoder)]
    meaning_ms = (time.perf_counter() - started) * 1000
    print(f"sentence encoder (MiniLM): {scores(meaning, truth)}  {meaning_ms:.1f} ms")
    encoder.close()


if __name__ == "__main__":
    main()
