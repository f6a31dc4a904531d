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
from typing import TYPE_CHECKING

import click
from fastapi import FastAPI

from bot.settings import Settings

if TYPE_CHECKING:
    from uvicorn import Config
    from uvicorn.supervisors import Multiprocess

__all__ = ["process_app", "serve_processes"]

# uvicorn.config.STARTUP_FAILURE: a child exiting with it stops the supervisor.
STARTUP_FAILURE = 3

log = logging.getLogger("switchboard")


def serve_processes(settings: Settings, host: str, port: int, workers: int) -> None:
    """`workers` server processes on one port. They share the PostgreSQL database and
    the data dir, as replicas behind a load balancer do; SQLite has no cross-process
    wake-ups, so it is refused."""
    from sqlalchemy.engine import make_url
    from uvicorn import Config

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
    supervisor = _supervisor(config)
    supervisor.run()
    if any(process.exitcode == STARTUP_FAILURE for process in supervisor.processes):
        raise click.ClickException("a server process could not start: its reason is logged above")


def _supervisor(config: Config) -> Multiprocess:
    """uvicorn's supervisor, saying at ERROR, on Switchboard's logger, that a server
    process died once serving: uvicorn says it at INFO beside its routine lines, and not
    at all with the log level at WARNING or ERROR, where an operator needs it most."""
    from uvicorn.supervisors import Multiprocess

    class Supervisor(Multiprocess):
        def keep_subprocess_alive(self) -> None:
            before = {process.pid for process in self.processes}
            super().keep_subprocess_alive()
            replaced = before - {process.pid for process in self.processes}
            for pid in sorted(p for p in replaced if p is not None):
                log.error(
                    f"server process {pid} died (a crash, or killed); a new process takes its place"
                )

    return Supervisor(config, sockets=[config.bind_socket()])


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
