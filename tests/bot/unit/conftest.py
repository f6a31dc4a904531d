"""The dialogue's unit layer: `SupportDialogue` with recording fakes, no sentence model,
no database, no network (tests/support/dialogue_fakes.py, dialogue_chat.py).

Every test here fails if it opens a network connection or imports the sentence model's
libraries. A whole-suite run has loaded them before these tests, so a later import is
invisible here: tests/bot/test_unit_layer.py also runs this directory alone and checks
that nothing, collection included, imported them.
"""

from __future__ import annotations

import socket
import sys
from collections.abc import Iterator

import pytest

from bot.conversation.support_dialogue import SupportDialogue
from knowledge import ANSWER_THRESHOLD
from tests.support.dialogue_fakes import RecordingActions, ScriptedKnowledgeBase

MODEL_LIBRARIES = ("sentence_transformers", "torch", "onnxruntime")


@pytest.fixture(autouse=True)
def no_model_and_no_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    def refuse(self: socket.socket, address: object) -> None:
        raise AssertionError(f"a unit test tried to connect to {address}")

    loaded_before = {name for name in MODEL_LIBRARIES if name in sys.modules}
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    yield
    loaded = [m for m in MODEL_LIBRARIES if m in sys.modules and m not in loaded_before]
    assert not loaded, f"a unit test imported {loaded}"


@pytest.fixture
def knowledge() -> ScriptedKnowledgeBase:
    return ScriptedKnowledgeBase()


@pytest.fixture
def actions() -> RecordingActions:
    return RecordingActions()


@pytest.fixture
def dialogue(knowledge: ScriptedKnowledgeBase, actions: RecordingActions) -> SupportDialogue:
    # The fakes stand where the dialogue names the concrete KnowledgeBase and ActionRunner.
    return SupportDialogue(knowledge, threshold=ANSWER_THRESHOLD, actions=actions)  # type: ignore[arg-type]
