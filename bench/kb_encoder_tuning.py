"""Does fine-tuning the encoder on the help centre's own question/passage pairs help?

Issue 14 asked whether all-MiniLM-L6-v2, tuned at ingest on what a knowledge base
already holds, ranks customers' questions better. This script measures it on the demo
help centre, with the shipped model as the reference in the same run:

- pairs, from the help centre alone: each section heading -> its section, each FAQ
  question -> its answer, each article title -> its first section (no evaluation text);
- tuning: sentence-transformers' `MultipleNegativesRankingLoss` (in-batch negatives),
  AdamW, `--epochs` passes (PyTorch, a plain loop over the library's loss: the library's
  `fit` needs the `datasets` and `accelerate` packages, which the project does not use);
- the tuned and the stock model each ingest the help centre into a fresh
  `KnowledgeBase` (times printed side by side, with the tuning time);
- the dialogue evaluation's single messages expecting an article or the fallback
  (demo/dialogue_eval/, spelling corrected as the bot does), per split: the right
  article first, and what `bot.conversation.routing.decide` would do with the hits at
  the shipped answer threshold (answered right, answered wrong, asked with the right
  article among the options, fell back on an answerable question; unanswerable ones
  that fell back).

Measured by a scratch prototype of the same procedure (it also paired "title: heading"
with each section, 361 pairs; three epochs; 2 shared cores under other engineers'
suites, load average 8-14): tuning took 509 s, the tuned ingest 49 s against 54 s stock
(both PyTorch). Right article first: dev 69/79 tuned against 68/79 stock, test 129/154
against 132/154. With the router's zones at the shipped threshold (simulated on the
hits), tuned answered fewer wrongly (dev 2 against 6, test 8 against 14) and fell back
more (dev 12 against 6, test 22 against 12): the tuned model moves scores down more than
it reorders them, and loses on test. A query-side linear adapter trained on the same
pairs (stock vectors kept) did no better (dev 67, test 130-131 first). So the product
ships the stock model; this script is how to check again, on this help centre or
another.

The script itself was run with --epochs 0 (both columns the stock model) as a check:
identical columns, right article first dev 68/79, test 132/154, and ingest 89.5 s
against 125.9 s for the same model at load average 20-40, which is how far apart two
timings of one thing were on that machine.

    python bench/kb_encoder_tuning.py [--epochs N]
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
from sentence_transformers import SentenceTransformer
from sentence_transformers.sentence_transformer.losses import MultipleNegativesRankingLoss

from bot.conversation.route import Decision, passage_article
from bot.conversation.routing import Signals, decide
from bot.wiring.words import spelling_corrector, training_texts
from demo.dialogue_eval.data_set import load_data_set
from demo.help_centre import DEMO_DIR
from knowledge import ANSWER_THRESHOLD, KnowledgeBase
from knowledge.embeddings import bundled_model_dir
from knowledge.sources import discover_files, parse_document
from nlu import DEMO_DATA_DIR, FALLBACK_INTENT

BATCH = 16
LEARNING_RATE = 2e-5
SEED = 0
SPLITS = ("dev", "test", "all")
KEYS = (
    "right",
    "wrong",
    "asked, right offered",
    "asked, right not offered",
    "fell back on answerable",
    "other decision",
    "unanswerable, fell back",
)


class TorchEncoder:
    """A SentenceTransformer as the knowledge base's `TextEncoder`."""

    dimension = 384

    def __init__(self, model: SentenceTransformer) -> None:
        self.model = model

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        found = self.model.encode(
            list(texts), normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False
        )
        return np.asarray(found, dtype=np.float32)

    async def encode_async(self, text: str) -> np.ndarray:
        return self.encode([text])[0]


def help_centre_pairs(folder: Path) -> list[tuple[str, str]]:
    """(what a customer might ask, the passage that answers it), from the content."""
    pairs = []
    files, _ = discover_files([folder])
    for path in sorted(files):
        document = parse_document(path, path.read_bytes())
        for number, section in enumerate(document.sections):
            text = section.text.strip()
            if not text:
                continue
            if section.question:
                pairs.append((section.question, text))
                continue
            if section.heading and section.heading != document.title:
                pairs.append((section.heading, text))
            if number == 0:
                pairs.append((document.title, text))
    return pairs


def tuned(pairs: list[tuple[str, str]], epochs: int) -> SentenceTransformer:
    random.seed(SEED)
    torch.manual_seed(SEED)
    model = SentenceTransformer(str(bundled_model_dir()), device="cpu", local_files_only=True)
    loss = MultipleNegativesRankingLoss(model)
    optimiser = torch.optim.AdamW(model.parameters(), lr=LEARNING_RATE)
    model.train()
    order = list(pairs)
    for _ in range(epochs):
        random.shuffle(order)
        for start in range(0, len(order), BATCH):
            batch = order[start : start + BATCH]
            questions = model.preprocess([q for q, _ in batch])
            passages = model.preprocess([p for _, p in batch])
            optimiser.zero_grad()
            loss([questions, passages], None).backward()
            optimiser.step()
    model.eval()
    return model


def outcomes(kb: KnowledgeBase, split: str) -> tuple[Counter[str], int, int]:
    """Per outcome, how many messages; right article first; answerable messages."""
    corrector = spelling_corrector(training_texts(DEMO_DATA_DIR) + kb.texts())
    data = load_data_set()
    counts: Counter[str] = Counter()
    first = answerable = 0
    for case in data.singles:
        expect = case.expect
        if (split != "all" and case.split != split) or expect.kind not in (
            "article",
            "any_of",
            "fallback",
        ):
            continue
        read_as = corrector.correct(case.text).text
        passages = kb.search(read_as, 5)
        plan = decide(
            Signals(case.text, read_as, FALLBACK_INTENT, 0.0, [], passages, ANSWER_THRESHOLD, False)
        )
        if expect.kind == "fallback":
            counts["unanswerable, fell back"] += plan.decision is Decision.FALLBACK
            continue
        answerable += 1
        right = expect.acceptable
        first += bool(passages) and passage_article(passages[0]) in right
        if plan.decision is Decision.ANSWER:
            counts["right" if passage_article(plan.cite[0]) in right else "wrong"] += 1
        elif plan.decision is Decision.CLARIFY:
            offered = {passage_article(p) for p in plan.options}
            counts["asked, right offered" if offered & right else "asked, right not offered"] += 1
        elif plan.decision is Decision.FALLBACK:
            counts["fell back on answerable"] += 1
        else:
            counts["other decision"] += 1
    return counts, first, answerable


def measure(
    model: SentenceTransformer,
) -> tuple[float, dict[str, tuple[Counter[str], int, int]]]:
    """Ingest seconds, and per split the outcomes."""
    with tempfile.TemporaryDirectory() as folder:
        kb = KnowledgeBase.open(Path(folder), TorchEncoder(model))
        started = time.perf_counter()
        kb.ingest([DEMO_DIR])
        seconds = time.perf_counter() - started
        found = {split: outcomes(kb, split) for split in SPLITS}
        kb.close()
    return seconds, found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=3)
    args = parser.parse_args()

    pairs = help_centre_pairs(DEMO_DIR)
    stock = SentenceTransformer(str(bundled_model_dir()), device="cpu", local_files_only=True)
    started = time.perf_counter()
    tuned_model = tuned(pairs, args.epochs)
    tuning_seconds = time.perf_counter() - started
    rows = {"stock": measure(stock), "tuned": measure(tuned_model)}

    print(f"pairs from the help centre: {len(pairs)}; {args.epochs} epochs (PyTorch, CPU)")
    print(f"tuning: {tuning_seconds:.1f} s")
    print(f"ingest: stock {rows['stock'][0]:.1f} s (reference), tuned {rows['tuned'][0]:.1f} s")
    print(f"{'':<28}" + "".join(f"{'stock ' + s:>13}{'tuned ' + s:>13}" for s in SPLITS))
    first = "".join(
        f"{str(row[1][s][1]) + '/' + str(row[1][s][2]):>13}"
        for s in SPLITS
        for row in rows.values()
    )
    print(f"{'right article first':<28}{first}")
    for key in KEYS:
        cells = "".join(f"{row[1][s][0][key]:>13}" for s in SPLITS for row in rows.values())
        print(f"{key:<28}{cells}")


if __name__ == "__main__":
    main()
