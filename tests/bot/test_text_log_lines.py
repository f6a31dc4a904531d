"""The text log format (SWITCHBOARD_LOG__FORMAT=text) keeps what a line says in its
`extra=` fields, as the JSON format does."""

from __future__ import annotations

import logging

from bot.logs import JsonFormatter, TextFormatter


def _record(**extra: object) -> logging.LogRecord:
    record = logging.makeLogRecord(
        {"name": "bot.api.outages", "levelno": logging.ERROR, "levelname": "ERROR"}
    )
    record.msg = "database unavailable; answered 503"
    record.__dict__.update(extra)
    return record


def test_a_text_line_ends_with_its_fields_as_key_value() -> None:
    line = TextFormatter().format(_record(path="/api/v1/customers", error="connection refused"))
    assert line.endswith(
        "ERROR bot.api.outages: database unavailable; answered 503 "
        "path=/api/v1/customers error=connection refused"
    )


def test_a_line_without_fields_is_just_the_message_and_uvicorns_colours_stay_out() -> None:
    line = TextFormatter().format(_record(color_message="\x1b[1mcoloured\x1b[0m"))
    assert line.endswith("ERROR bot.api.outages: database unavailable; answered 503")


def test_the_text_and_json_lines_name_the_same_fields() -> None:
    record = _record(queue="outbox", failures=3)
    assert '"queue": "outbox"' in JsonFormatter().format(record)
    assert TextFormatter().format(record).endswith("queue=outbox failures=3")
