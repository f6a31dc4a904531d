"""`switchboard serve --workers N`: N server processes on one port, under uvicorn's
supervisor, which restarts a process that dies.

A process that cannot start (the database unreachable, its schema behind, a setting
refused) would fail the same way on every restart: the supervisor restarted such
processes for as long as it ran, each one logging a traceback. So the parent first opens
the database as each process will (one clear line and exit 1 if it cannot), and a
process that still cannot start (the database went away in between) logs one line and
exits with uvicorn's start-up failure status, on which the supervisor stops; the command
then exits 1 as well.
"""

from __future__ import annotations

import logging
import os
import re

import click
from fastapi import FastAPI

from bot.settings import Settings

__all__ = ["ProcessDeathsAreErrors", "process_app", "serve_processes"]

# uvicorn.config.STARTUP_FAILURE: a child exiting with it stops the supervisor.
STARTUP_FAILURE = 3

log = logging.getLogger("switchboard")
_DIED = re.compile(r"^Child process \[(\d+)\] died$")


class ProcessDeathsAreErrors(logging.Filter):
    """uvicorn's supervisor says a server process died at INFO, beside "Started server
    process" lines: a crash (a segfault, the kernel's out-of-memory killer, a SIGKILL)
    read as routine. It is an error an operator should look into; the supervisor has
    already started another process in its place."""

    def filter(self, record: logging.LogRecord) -> bool:
        died = _DIED.match(record.getMessage()) if record.levelno == logging.INFO else None
        if died is not None:
            record.levelno, record.levelname = logging.ERROR, "ERROR"
            record.msg = (
                f"server process {died[1]} died (not a shutdown: a crash, or killed); "
                "a new process takes its place"
            )
            record.args = ()
        return True


def serve_processes(settings: Settings, host: str, port: int, workers: int) -> None:
    """`workers` server processes on one port. They share the PostgreSQL database and
    the data dir, as replicas behind a load balancer do; SQLite has no cross-process
    wake-ups, so it is refused."""
    from sqlalchemy.engine import make_url
    from uvicorn import Config
    from uvicorn.supervisors import Multiprocess

    from bot.cli.main import _fail_clearly
    from bot.wiring.database import open_database

    if make_url(settings.database_url).get_backend_name() != "postgresql":
        raise click.ClickException(
            "--workers needs PostgreSQL (SWITCHBOARD_DATABASE__URL): processes on one "
            "SQLite file would not hear of each other's replies"
        )
    _fail_clearly(lambda: open_database(settings).dispose())
    # Said before the processes exist: each answers once it has loaded its models and
    # run its start-up jobs ("Application startup complete" in its log), some 20 s on.
    log.info(
        f"Switchboard: starting {workers} processes on http://{host}:{port}/; each answers "
        "once its log says 'Application startup complete'. Ctrl+C stops them."
    )
    config = Config(
        "bot.cli.processes:process_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_config=None,
        timeout_graceful_shutdown=int(settings.delivery.shutdown_grace_seconds) + 5,
    )
    supervisor = Multiprocess(config, sockets=[config.bind_socket()])
    logging.getLogger("uvicorn.error").addFilter(ProcessDeathsAreErrors())
    supervisor.run()
    if any(process.exitcode == STARTUP_FAILURE for process in supervisor.processes):
        raise click.ClickException("a server process could not start: its reason is logged above")


def process_app() -> FastAPI:
    """The app of one process, from the environment's settings: the factory uvicorn
    calls in each process."""
    from bot.app import create_app
    from bot.cli.main import _fail_clearly, freeze_loaded
    from bot.cli.settings_errors import load_settings
    from bot.logs import configure_logging

    try:
        settings = load_settings(warn_unknown=False)  # the parent process warned
        configure_logging(settings.log.level, settings.log.format)
        return freeze_loaded(_fail_clearly(lambda: create_app(settings)))
    except click.ClickException as exc:
        log.error(f"this server process cannot start: {exc.format_message()}")
        logging.shutdown()  # flush the line: os._exit skips the interpreter's cleanup
        # Not sys.exit: threads the half-built app started (the encoder's, the pool's)
        # kept the process alive past it, until the supervisor's health ping timed out
        # and killed it, which counts as a crash and is restarted, not as this status.
        os._exit(STARTUP_FAILURE)
