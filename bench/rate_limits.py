"""How far below the default rate limits busy, normal use stays, and what the limits do to
the floods of the security review. Simulated time (a clock moved by the script, seeded
randomness): the figures are the same on every machine; a run takes a few seconds.

    .venv/bin/python bench/rate_limits.py [VISITORS]

Normal use, each replayed through the limiter with the default settings:
- a fast typist per widget session: a message every 2-5 s for an hour, three tabs open,
  and every ten minutes a reconnect in which each tab resends two pending messages;
- one office behind one NAT address: 40 people open the chat within one minute (a
  newsletter went out), then one more every 30 s on average for an hour;
- an agent's staff token: the dashboard loads 8 requests within a second every 5-15 s,
  and for two minutes a script pages through tickets twice a second;
- a Rasa-style front end calling /model/parse from one address for 20 conversations at
  once, each a message every 2-5 s.
For each: the busiest minute next to `per_minute`, the lowest bucket level next to
`burst`, and how many requests were refused (the goal: none). The reference is the limit
itself: "peak/limit" below 1.0 means the sustained rate is never reached.
"""

from __future__ import annotations

import random
import sys
from bisect import bisect_left
from collections.abc import Iterable
from dataclasses import dataclass

from bot.api.rate_limits import RateLimiter
from bot.settings import Rate, RateLimitSettings


class SimulatedClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Outcome:
    requests: int
    refused: int
    lowest_tokens: float
    busiest_minute: int


def replay(rate: Rate, times: Iterable[float]) -> Outcome:
    """Send one key's requests at `times` (seconds) through a limiter of `rate`."""
    clock = SimulatedClock()
    limiter = RateLimiter(rate.per_minute, rate.burst, clock=clock)
    ordered = sorted(times)
    refused = 0
    lowest = float(rate.burst)
    for moment in ordered:
        clock.now = moment
        lowest = min(lowest, limiter.tokens_left("k") - 1)
        refused += limiter.take("k") > 0
    busiest = max(
        (bisect_left(ordered, start + 60) - index for index, start in enumerate(ordered)),
        default=0,
    )
    return Outcome(len(ordered), refused, max(lowest, 0.0), busiest)


def typist(rng: random.Random) -> list[float]:
    times, now = [], 0.0
    for minute in range(60):
        for _ in range(15):
            now += rng.uniform(2.0, 5.0)
            times.append(now)
        if minute % 10 == 0:
            times.extend([now + 0.05] * 6)  # three tabs resend two pending messages each
    return times


def office(rng: random.Random) -> list[float]:
    rush = [rng.uniform(0, 60) for _ in range(40)]
    later, now = [], 60.0
    while now < 3600:
        now += rng.expovariate(1 / 30)
        later.append(now)
    return rush + later


def agent(rng: random.Random) -> list[float]:
    times, now = [], 0.0
    while now < 3600:
        now += rng.uniform(5.0, 15.0)
        times.extend(now + rng.uniform(0, 1.0) for _ in range(8))
    times.extend(600 + step * 0.5 for step in range(240))  # a script paging tickets
    return times


def front_end(rng: random.Random) -> list[float]:
    times = []
    for _ in range(20):
        now = rng.uniform(0, 5)
        while now < 1800:
            times.append(now)
            now += rng.uniform(2.0, 5.0)
    return times


def flood(count: int, seconds: float) -> list[float]:
    return [seconds * n / count for n in range(count)]


def main(visitors: int) -> None:
    limits = RateLimitSettings()
    scenarios = [
        ("webchat_messages", "fast typist, 3 tabs, 1 h", limits.webchat_messages, typist),
        ("webchat_sessions", "office NAT: rush + 1 h", limits.webchat_sessions, office),
        ("staff_api", "agent dashboard + script", limits.staff_api, agent),
        ("nlu_parse", "front end, 20 chats, 30 min", limits.nlu_parse, front_end),
    ]
    print(f"normal use, worst of {visitors} seeded runs each (simulated time)")
    header = f"{'limit':<18}{'pattern':<30}{'per_min':>8}{'busiest':>9}{'peak/limit':>11}"
    print(header + f"{'burst':>7}{'lowest left':>13}{'refused':>9}")
    for name, pattern, rate, make in scenarios:
        outcomes = [replay(rate, make(random.Random(seed))) for seed in range(visitors)]
        busiest = max(o.busiest_minute for o in outcomes)
        lowest = min(o.lowest_tokens for o in outcomes)
        refused = sum(o.refused for o in outcomes)
        print(
            f"{name:<18}{pattern:<30}{rate.per_minute:>8.0f}{busiest:>9}"
            f"{busiest / rate.per_minute:>11.2f}{rate.burst:>7}{lowest:>13.1f}{refused:>9}"
        )
    print()
    print("the review's floods against the same limits")
    print(f"{'limit':<18}{'flood':<30}{'requests':>9}{'refused':>9}")
    floods = [
        ("webchat_sessions", "300 sessions in 3 s", limits.webchat_sessions, flood(300, 3)),
        ("webchat_messages", "200 messages in 10 s", limits.webchat_messages, flood(200, 10)),
        ("nlu_parse", "300 parses in 2 s", limits.nlu_parse, flood(300, 2)),
    ]
    for name, label, rate, times in floods:
        outcome = replay(rate, times)
        print(f"{name:<18}{label:<30}{outcome.requests:>9}{outcome.refused:>9}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100)
