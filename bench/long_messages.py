"""What the dialogue's cues (bot/conversation/cues.py) cost on long messages: a chat of
up to 4,000 characters, a mail of megabytes, made of one thing repeated (spaces, "and",
commas, "has", a question joined by "and").

For each filler, the time of `questions_in`, `topic_splits` and `asks_about_order_state`
(cues that read the whole message) on 4,000, 40,000 and 400,000 characters (`--sizes`),
with the ratio of each to the smallest size's time: a cue that costs the message's length
shows ratios near 10 and 100; one that costs its square, near 100 and 10,000. Reference
in the same run: the same cues on a short realistic message ("do you ship to canada and
how much is it"). Medians of 3 runs each.

    .venv/bin/python bench/long_messages.py [--sizes 4000,40000,400000]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

from bot.conversation import cues

FILLERS = {
    "spaces": " ",
    "and": "and ",
    "commas": ", ",
    "has": "has ",
    "newlines": " \n",
    "joined questions": "how is it and ",
}
SHORT = "do you ship to canada and how much is it"


def _median_seconds(call: Callable[[], object], runs: int = 3) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def _both(text: str) -> Callable[[], object]:
    return lambda: (
        cues.questions_in(text),
        cues.topic_splits(text),
        cues.asks_about_order_state(text),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="4000,40000,400000", help="message lengths")
    sizes = [int(n) for n in parser.parse_args().sizes.split(",")]
    short = _median_seconds(_both(SHORT), runs=101)
    print(f"reference: a short message ({len(SHORT)} chars): {short * 1e6:.0f} us")
    print(f"{'filler':18}" + "".join(f"{n:>22,}" for n in sizes))
    for name, unit in FILLERS.items():
        cells = []
        first = None
        for n in sizes:
            text = unit * (n // len(unit)) + "x"
            seconds = _median_seconds(_both(text))
            first = first or seconds
            cells.append(f"{seconds * 1e3:9.1f} ms (x{seconds / first:6.1f})")
        print(f"{name:18}" + "".join(f"{c:>22}" for c in cells))


if __name__ == "__main__":
    main()
