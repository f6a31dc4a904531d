"""One log line when the database goes away, one when it answers again: not one per retry.

Every process runs a dozen loops that reach the database on their own (the queue workers,
the wake-up listener and notifier, the singletons' leases), each retrying every second or
few. With PostgreSQL down, logging each failed try with its traceback wrote some 200
lines a second across two processes, burying the one line that says what is wrong. An
`OutageLog` logs the first failure of a run (the error's first line, no traceback: the
database being away is not a bug), the repeats at DEBUG, and the first success after
them at INFO with how many tries failed, so the log still says when each loop stopped
and started working.
"""

from __future__ import annotations

import logging
from typing import Any

__all__ = ["OutageLog", "first_line"]


def first_line(error: BaseException) -> str:
    """The error's message without the driver's follow-on lines and links: a refused
    PostgreSQL connection reads `connection failed: connection to server at ...`."""
    orig = getattr(error, "orig", None)  # SQLAlchemy's wrapper of the driver's error
    text = str(orig if orig is not None else error).strip()
    return text.splitlines()[0] if text else type(error).__name__


class OutageLog:
    """Logs when the database work of `what` (e.g. "wake-up listener") starts failing and
    when it works again."""

    def __init__(
        self,
        logger: logging.Logger,
        what: str,
        *,
        level: int = logging.WARNING,
        extra: dict[str, Any] | None = None,
    ) -> None:
        self._log = logger
        self._what = what
        self._level = level
        self._extra = extra or {}
        self.failures = 0  # failed tries since the last success

    def failed(self, error: BaseException) -> None:
        reason = first_line(error)
        extra = {**self._extra, "error": reason, "failures": self.failures + 1}
        if self.failures == 0:
            self._log.log(
                self._level,
                f"{self._what} failing: {reason} (retrying; repeats at DEBUG until it works)",
                extra=extra,
            )
        else:
            self._log.debug(f"{self._what} failing: {reason}", extra=extra)
        self.failures += 1

    def recovered(self) -> None:
        if self.failures:
            self._log.info(
                f"{self._what} working again after {self.failures} failed tries",
                extra={**self._extra, "failures": self.failures},
            )
            self.failures = 0
