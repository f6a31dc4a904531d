"""What `switchboard kb ingest` says while it works, on standard error.

In a terminal: a progress bar per stage ("reading files", then "embedding chunks").
Anywhere else (a log, a pipe, CI): click's bar would print its bare label once and
nothing more, so plain lines instead, each readable on its own: when a stage starts,
at each tenth of it done, and when it ends. Decided: tenths, not every file or chunk,
so a large ingest writes a few dozen lines to a log, not thousands.
"""

from __future__ import annotations

import sys
from typing import Any, TextIO

import click

from knowledge import IngestProgress

__all__ = ["IngestReport"]

# stage -> (what it does, what it did), said of its unit ("files", "chunks")
_STAGES = {
    "files": ("reading", "read"),
    "chunks": ("embedding", "embedded"),
}


class IngestReport:
    """Called with each `IngestProgress`; `close()` once the ingest is over."""

    def __init__(self, out: TextIO | None = None, terminal: bool | None = None) -> None:
        self._out = out if out is not None else sys.stderr
        self._terminal = self._out.isatty() if terminal is None else terminal
        self._stage = ""
        self._total = 0
        self._done = 0
        self._tenths = 0
        self._bar: Any = None

    def __call__(self, event: IngestProgress) -> None:
        stage, total, done = "files", event.files_total, event.files_done
        if event.chunks_total:
            stage, total, done = "chunks", event.chunks_total, event.chunks_done
        if stage != self._stage:
            self.close()
            self._start(stage, total)
        if self._bar is not None:
            self._bar.update(done - self._done)
        else:
            tenths = 10 * done // max(total, 1)
            if tenths > self._tenths and done < total:
                self._line(f"{_STAGES[stage][1]} {done} of {total} {stage}")
            self._tenths = max(tenths, self._tenths)
        self._done = done

    def _start(self, stage: str, total: int) -> None:
        self._stage, self._total, self._done, self._tenths = stage, total, 0, 0
        doing = _STAGES[stage][0]
        if self._terminal:
            self._bar = click.progressbar(
                length=max(total, 1), label=f"{doing} {stage}", file=self._out
            )
            self._bar.__enter__()
        else:
            self._line(f"{doing} {total} {stage}")

    def close(self) -> None:
        """End the stage under way: the bar closes, or a line says how much was done."""
        if not self._stage:
            return
        if self._bar is not None:
            self._bar.__exit__(None, None, None)
            self._bar = None
        else:
            self._line(f"{_STAGES[self._stage][1]} {self._done} of {self._total} {self._stage}")
        self._stage = ""

    def _line(self, text: str) -> None:
        click.echo(text, file=self._out)
