"""The NLU layer's exceptions: one small tree under `NluError`."""

from __future__ import annotations

from pathlib import Path

__all__ = ["IncompatibleModelError", "ModelLoadError", "NluError", "TrainingDataError"]


class NluError(Exception):
    """Anything the NLU layer refuses to do."""


class TrainingDataError(NluError):
    """A training file is malformed; names the file, the line and the problem."""

    def __init__(self, source: str | Path, line: int | None, problem: str) -> None:
        self.source = str(source)
        self.line = line
        self.problem = problem
        where = f"{self.source}:{line}" if line is not None else self.source
        super().__init__(f"{where}: {problem}")


class ModelLoadError(NluError):
    """A model directory is missing, corrupt or from an incompatible version."""

    def __init__(self, model_dir: str | Path, reason: str) -> None:
        self.model_dir = str(model_dir)
        self.reason = reason
        super().__init__(f"cannot load NLU model from {self.model_dir}: {reason}")


class IncompatibleModelError(ModelLoadError):
    """A well-formed model directory written by another format or library version."""
