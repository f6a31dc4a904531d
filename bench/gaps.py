"""What a help centre gap check costs a question (`knowledge.gaps`), against the
search it follows and a hop to a worker thread, in the same run.

On the demo help centre, with the real encoder, every single message of the dialogue
evaluation (demo/dialogue_eval) is encoded once, then, in rounds, each is:

- matched against the gaps (`HelpCentreGaps.match`: the topics' words, then one matrix
  product with the gaps' ways of asking), in the calling thread;
- handed to a worker thread and back with nothing to do (`asyncio.to_thread`), what
  the check would cost if it always ran off the event loop;
- searched (`KnowledgeBase.search_vector`, the search every question makes anyway).

Printed: the median per question of each, over `--rounds` rounds (medians: the machine
is shared), and how many messages asked about a gap.

    python bench/gaps.py [--rounds 5]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from demo.dialogue_eval.data_set import load_data_set
from demo.help_centre import ensure_demo_knowledge
from knowledge import KnowledgeBase
from knowledge.embeddings import SentenceEncoder


def _per_question(run: Callable[[], None], count: int, rounds: int) -> float:
    """The median over `rounds` of the microseconds per question of `run`."""
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        run()
        times.append((time.perf_counter() - started) / count * 1e6)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    texts = [case.text for case in load_data_set().singles]
    encoder = SentenceEncoder()
    with tempfile.TemporaryDirectory(prefix="bench-gaps-") as tmp:
        kb = KnowledgeBase.open(Path(tmp), encoder)
        ensure_demo_knowledge(kb)
        started = time.perf_counter()
        gaps = kb.gaps()
        found_in = time.perf_counter() - started
        vectors = encoder.encode(texts)
        pairs = list(zip(texts, vectors, strict=True))
        asked = sum(gaps.match(text, vector) is not None for text, vector in pairs)

        def match_all() -> None:
            for text, vector in pairs:
                gaps.match(text, vector)

        async def hop_all() -> None:
            for _ in pairs:
                await asyncio.to_thread(lambda: None)

        def search_all() -> None:
            for text, vector in pairs:
                kb.search_vector(text, vector, 5)

        match = _per_question(match_all, len(pairs), args.rounds)
        hop = _per_question(lambda: asyncio.run(hop_all()), len(pairs), args.rounds)
        search = _per_question(search_all, len(pairs), args.rounds)
        kb.close()
    encoder.close()

    print(
        f"{len(gaps.topics)} gaps in the demo help centre, found in {found_in * 1000:.0f} ms "
        f"(words read, ways of asking encoded); {asked} of {len(pairs)} evaluation "
        "messages name one and read close to it"
    )
    print(f"per question, median of {args.rounds} rounds:")
    print(f"  gap check                {match:8.1f} us")
    print(f"  a hop to a thread (ref.) {hop:8.1f} us   gap check / hop: {match / hop:.2f}")
    print(f"  search (ref.)            {search:8.1f} us   gap check / search: {match / search:.3f}")


if __name__ == "__main__":
    main()
