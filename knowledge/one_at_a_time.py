"""Processes sharing a folder take turns at preparing what is kept there (the ONNX export
of the sentence model, the demo NLU model, the demo help centre)."""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
from collections.abc import Iterator
from pathlib import Path

log = logging.getLogger(__name__)


@contextlib.contextmanager
def one_process_at_a_time(path: Path, waiting: str) -> Iterator[None]:
    """An exclusive flock on `path`, released when the block ends or its process dies.
    `path` is a folder (locked itself: no lock file left among what it holds) or a lock
    file, made if missing. `waiting` is logged when another process holds it."""
    flags = os.O_RDONLY if path.is_dir() else os.O_RDWR | os.O_CREAT
    if not path.is_dir():
        path.parent.mkdir(parents=True, exist_ok=True)
    held = os.open(path, flags, 0o644)
    try:
        try:
            fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            log.info(waiting)
            fcntl.flock(held, fcntl.LOCK_EX)
        yield
    finally:
        os.close(held)  # releases the lock
