"""`switchboard serve` as a real child process on a free port with its own data dir, so
a test can stop it (a real dropped connection) and start it again on the same port and
data. The browser tests drive it; `messages` reads back what it stored."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.support.ports import free_port
from tests.support.prepared import PreparedState

# A first start trains the NLU model and ingests the demo help centre: on a busy machine
# that alone can take most of a minute.
STARTUP_TIMEOUT_SECONDS = 120.0


class SwitchboardServer:
    """`switchboard serve` as a child process that can be stopped and started again."""

    def __init__(self, data_dir: Path, port: int, env: dict[str, str] | None = None) -> None:
        self.data_dir = data_dir
        self.env = env or {}
        self.port = port
        self.base_url = f"http://127.0.0.1:{port}"
        self.log_path = data_dir / "server.log"
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self) -> None:
        env = {
            **os.environ,
            "SWITCHBOARD_DATA_DIR": str(self.data_dir),
            "SWITCHBOARD_LOG__FORMAT": "text",
            "SWITCHBOARD_DELIVERY__POLL_INTERVAL_SECONDS": "0.1",
            **self.env,
        }
        env.pop("SWITCHBOARD_DATABASE__URL", None)
        with self.log_path.open("ab") as log:
            self._process = subprocess.Popen(
                [sys.executable, "-m", "bot.cli", "serve", "--port", str(self.port)],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                pytest.fail(f"server exited with {self._process.returncode}:\n{self.log()}")
            try:
                if httpx.get(f"{self.base_url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        self.stop()
        pytest.fail(f"server not healthy after {STARTUP_TIMEOUT_SECONDS} s:\n{self.log()}")

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:]

    def messages(self, token: str, after: int = 0) -> list[dict]:
        """The conversation as the server stored it, read with the widget's own token."""
        response = httpx.get(
            f"{self.base_url}/api/v1/webchat/messages",
            params={"after": after},
            headers={"Authorization": f"Bearer {token}"},
            timeout=10,
        )
        response.raise_for_status()
        return response.json()["messages"]


def seed_demo_data(server: SwitchboardServer) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SWITCHBOARD_")}
    env["SWITCHBOARD_DATA_DIR"] = str(server.data_dir)
    subprocess.run(
        [sys.executable, "-m", "bot.cli", "demo", "seed"], env=env, check=True, timeout=120
    )


@contextmanager
def demo_server(
    data_dir: Path, prepared: PreparedState, env: dict[str, str] | None = None
) -> Iterator[SwitchboardServer]:
    """`switchboard serve` on the demo settings of `make run` (the demo customer links),
    with the demo knowledge index and NLU model built once per run, plus `env`."""
    running = SwitchboardServer(
        prepared.seed(data_dir),
        free_port(),
        {
            "SWITCHBOARD_NLU__MODEL_DIR": str(prepared.nlu_model_dir),
            "SWITCHBOARD_DEMO__ENABLED": "true",
            **(env or {}),
        },
    )
    running.start()
    try:
        yield running
    finally:
        running.stop()
        print(f"--- server log ---\n{running.log()}")
