"""The demo knowledge index and NLU model, built once per test run (the `prepared`
fixture) and copied into each app's data dir."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class PreparedState:
    """The demo knowledge index and NLU model, built once per test run."""

    knowledge_dir: Path
    nlu_model_dir: Path

    def seed(self, data_dir: Path) -> Path:
        """A data dir holding a copy of the demo index; the NLU model is read-only."""
        shutil.copytree(self.knowledge_dir, data_dir / "knowledge")
        return data_dir
