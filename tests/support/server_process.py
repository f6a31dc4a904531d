"""A Switchboard server as a real process (`python -m bot.cli`), in production mode, the
way compose runs it: its environment, one-off CLI commands, and waiting for it."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import httpx
import pytest

START_TIMEOUT_SECONDS = 60.0
STOP_TIMEOUT_SECONDS = 30.0
COMMAND_TIMEOUT_SECONDS = 120.0

T = TypeVar("T")
IDENTITY_SECRET = "process-test-identity-secret-0123456789"


@dataclass
class ServerProcess:
    process: subprocess.Popen[bytes]
    base_url: str
    env: dict[str, str]
    stderr_path: Path

    def client(self, token: str | None = None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.Client(base_url=self.base_url, headers=headers, timeout=10.0)

    def stderr(self) -> str:
        return self.stderr_path.read_text(errors="replace")

    def stop(self, timeout: float = STOP_TIMEOUT_SECONDS) -> int:
        """SIGTERM, as `docker stop` sends; the exit code once the process is gone."""
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=timeout)


def server_env(database_url: str, data_dir: Path) -> dict[str, str]:
    """This process's environment without SWITCHBOARD_ settings, plus compose's."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("SWITCHBOARD_")}
    env.update(
        SWITCHBOARD_ENVIRONMENT="production",
        SWITCHBOARD_DATABASE__URL=database_url,
        SWITCHBOARD_DATA_DIR=str(data_dir),
        SWITCHBOARD_WEBCHAT__SECRET_KEY="process-test-secret-0123456789abcdef",
        SWITCHBOARD_WEBCHAT__IDENTITY_SECRET=IDENTITY_SECRET,
        SWITCHBOARD_LOG__LEVEL="INFO",
    )
    return env


def cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=COMMAND_TIMEOUT_SECONDS,
    )
    assert result.returncode == 0, f"switchboard {' '.join(args)} failed:\n{result.stderr}"
    return result


def poll(check: Callable[[], T | None], timeout: float, what: str) -> T:
    """Call `check` until it returns something other than None; fail after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        found = check()
        if found is not None:
            return found
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.1)


def wait_until_healthy(server: ServerProcess, timeout: float = START_TIMEOUT_SECONDS) -> None:
    def healthy() -> bool | None:
        if server.process.poll() is not None:
            pytest.fail(
                f"server exited with {server.process.returncode} before it was healthy:\n"
                + server.stderr()
            )
        with contextlib.suppress(httpx.TransportError), server.client() as client:
            if client.get("/healthz").status_code == 200:
                return True
        return None

    poll(healthy, timeout, "GET /healthz to answer 200")


def start_server(
    env: dict[str, str], logs: Path, name: str = "server", *options: str
) -> ServerProcess:
    """`switchboard serve` on a free port with `env` (and `options`, e.g. `--workers 2`),
    its output in `logs`; not yet waited for (`wait_until_healthy`)."""
    from tests.support.ports import free_port

    port = free_port()
    stderr_path = logs / f"{name}.stderr"
    with (logs / f"{name}.stdout").open("wb") as stdout, stderr_path.open("wb") as stderr:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "bot.cli",
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                *options,
            ],
            env=env,
            stdout=stdout,
            stderr=stderr,
        )
    return ServerProcess(process, f"http://127.0.0.1:{port}", env, stderr_path)


def end(process: subprocess.Popen[bytes]) -> None:
    """Make sure the process is gone: SIGTERM, then SIGKILL if it lingers."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
