"""Structured logs: one JSON object per line on stderr (or plain text for a terminal)."""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any

# Attributes every LogRecord has; anything else came in through `extra=` and is logged.
# uvicorn adds `color_message`, the same text with terminal colour codes.
_STANDARD = set(logging.makeLogRecord({}).__dict__) | {
    "message",
    "asctime",
    "taskName",
    "color_message",
}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD:
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


# Libraries whose INFO lines say nothing an operator acts on, and drown the start-up's
# own lines (which channels are on, where the server listens): rasa-sdk's executor logs
# "Registered function for ..." once per action. They speak at DEBUG as everyone does.
# Alembic says "Context impl SQLiteImpl." and "Will assume non-transactional DDL." each
# time a migration context opens (four times at every start); a migration applied is
# logged by `bot.wiring.database` instead, with the revisions it went from and to.
QUIET_AT_INFO = ("rasa_sdk.executor", "alembic.runtime.migration")


class TextFormatter(logging.Formatter):
    """One line for a terminal, the `extra=` fields after the message as `key=value`:
    many lines keep their particulars there (the path of a request answered 503, the
    queue that failed), which the text format used to drop."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def formatMessage(self, record: logging.LogRecord) -> str:
        line = super().formatMessage(record)
        extras = [f"{k}={v}" for k, v in record.__dict__.items() if k not in _STANDARD]
        return " ".join([line, *extras])


class HealthPolls(logging.Filter):
    """Drops uvicorn's access line of a `/healthz` answered below 400. A load balancer
    asks every process every 2 s (deploy/haproxy/haproxy.cfg), a container's health
    check every 15 s: those lines were 310 of a process's first 369, about 43,000 a day,
    around the lines an on-call engineer looks for. A 503 is still logged, and at DEBUG
    every poll is."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if not isinstance(args, tuple) or len(args) != 5:
            return True
        path, status = str(args[2]), args[4]
        polled = path == "/healthz" or path.startswith("/healthz?")
        return not (polled and isinstance(status, int) and status < 400)


def configure_logging(level: str = "INFO", fmt: str = "json") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in QUIET_AT_INFO:
        quiet = root.level if root.level <= logging.DEBUG else max(root.level, logging.WARNING)
        logging.getLogger(name).setLevel(quiet)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    access = logging.getLogger("uvicorn.access")
    for found in [f for f in access.filters if isinstance(f, HealthPolls)]:
        access.removeFilter(found)
    if root.level > logging.DEBUG:
        access.addFilter(HealthPolls())
