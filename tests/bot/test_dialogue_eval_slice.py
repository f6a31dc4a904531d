"""A slice of the dialogue evaluation (issue 14) as a regression guard on outcomes.

The cases come from demo/dialogue_eval/ (the data set bench/dialogue_eval.py runs in
full): every fifth single message and every fourth conversation in file order, which
takes cases of BOTH splits, dev and test (the files tag them about one third dev, two
thirds test, by class), and of every class. They go through the real app in process
(real NLU model, the demo knowledge base, the full demo seed so Ada's and Grace's orders
and tickets exist) over the web chat API, and are judged by the same judge as the bench,
on what the bot stored (`attributes["route"]`, or the legacy reader for replies without
one). Outcomes only, no timings.

SQLite only (`sqlite_settings`): the routing decision does not depend on the store, and
the slice is the slowest test of the layer, so it runs once, not once per database.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from bot.app import create_app
from bot.settings import RateLimitSettings, Settings, WebChatSettings
from crm_store import Database
from demo.dialogue_eval import EvaluationDriver, StoredReplies, load_data_set, load_issue_examples
from demo.dialogue_eval.report import Figures, failure_lines
from demo.seed import seed_demo
from knowledge.embeddings import SentenceEncoder

IDENTITY_SECRET = "dialogue-eval-slice-identity-secret-0123"
# The guard: the slice passed 79 of 90 (0.878) when the router landed (issue 14's goal
# for the whole set is 0.92, not met yet; bench/README.md). A change that loses more
# than one of those cases fails here; raise the floor as the router improves.
FLOOR = 0.87


@pytest.fixture
def driver(sqlite_settings: Settings, encoder: SentenceEncoder) -> Iterator[EvaluationDriver]:
    settings = sqlite_settings.model_copy(
        update={
            "webchat": WebChatSettings(identity_secret=SecretStr(IDENTITY_SECRET)),
            # Eighty chat sessions from one test client in seconds.
            "rate_limits": RateLimitSettings(enabled=False),
        }
    )
    with TestClient(create_app(settings, encoder=encoder)) as client:
        database: Database = client.app.state.services.database  # type: ignore[attr-defined]
        with database.transaction() as session:
            seed_demo(session)
        yield EvaluationDriver(client, StoredReplies(database), IDENTITY_SECRET)


def test_a_slice_of_the_dialogue_evaluation_holds_its_floor(driver: EvaluationDriver) -> None:
    # The holdout and blind splits stay a measure (bench/dialogue_eval.py), not a guard.
    data = load_data_set()
    singles = [s for s in data.singles if s.split in ("dev", "test")][::5]
    conversations = [c for c in data.conversations if c.split in ("dev", "test")][::4]
    assert len(singles) >= 60 and len(conversations) >= 10
    assert {s.split for s in singles} == {c.split for c in conversations} == {"dev", "test"}

    results = [driver.run_single(s) for s in singles]
    results += [driver.run_conversation(c) for c in conversations]

    figures = Figures.of(results)
    assert figures.rate >= FLOOR, (
        f"slice pass rate {figures.rate:.3f} ({figures.overall[0]}/{figures.overall[1]}), "
        f"floor {FLOOR}; per class {figures.per_class}; failing cases:\n"
        + "\n".join(failure_lines(results))
    )


def test_every_example_quoted_in_the_issue_is_answered_right(driver: EvaluationDriver) -> None:
    # Issue 14's "What goes wrong today", each with its right outcome: all of them, no
    # floor (the bench prints the same line, "issue examples").
    examples = load_issue_examples()
    results = [driver.run_single(s) for s in examples.singles]
    results += [driver.run_conversation(c) for c in examples.conversations]

    assert len(results) == 19
    assert not failure_lines(results), "\n".join(failure_lines(results))
