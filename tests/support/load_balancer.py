"""HAProxy with deploy/haproxy/haproxy.cfg in front of server processes, as compose
runs it: the file's `server-template` (Docker's DNS) replaced by the processes' ports and
its `bind` by a free port; everything else (health checks, WebSocket timeouts,
redispatch) as deployed."""

from __future__ import annotations

import re
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.support.ports import free_port
from tests.support.server_process import end

HAPROXY = shutil.which("haproxy") or (
    "/usr/sbin/haproxy" if Path("/usr/sbin/haproxy").exists() else None
)
CONFIG = Path(__file__).resolve().parents[2] / "deploy" / "haproxy" / "haproxy.cfg"


@dataclass
class LoadBalancer:
    base_url: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def stop(self) -> None:
        end(self.process)


def config_for(servers: list[str], port: int, source: str | None = None) -> str:
    """The deployed config with `servers` ("127.0.0.1:8001", ...) and `port`; `source`:
    the address HAProxy connects to them from (another loopback address stands for
    another host, whose forwarded headers uvicorn does not read by itself)."""
    text = CONFIG.read_text()
    options = f" source {source}" if source else ""
    lines = "\n".join(
        f"    server app{n} {address} check{options}" for n, address in enumerate(servers)
    )
    text, replaced = re.subn(r"^\s*server-template .*$", lines, text, flags=re.M)
    assert replaced == 1, "deploy/haproxy/haproxy.cfg has no server-template line"
    text, bound = re.subn(r"^(\s*)bind :8000$", rf"\1bind 127.0.0.1:{port}", text, flags=re.M)
    assert bound == 1, "deploy/haproxy/haproxy.cfg does not bind :8000"
    text = re.sub(r"^resolvers docker\n(\s+.*\n?)*", "", text, flags=re.M)
    # The error pages from the checkout, where compose mounts them into the container.
    text, pages = re.subn(r"/usr/local/etc/haproxy/errors/", f"{CONFIG.parent}/errors/", text)
    assert pages >= 1, "deploy/haproxy/haproxy.cfg names no error page"
    return text


def start_haproxy(servers: list[str], root: Path, source: str | None = None) -> LoadBalancer:
    if HAPROXY is None:
        pytest.skip("haproxy is not installed (scripts/system-packages.sh installs it)")
    port = free_port()
    config = root / "haproxy.cfg"
    config.write_text(config_for(servers, port, source))
    process = subprocess.Popen(
        [HAPROXY, "-db", "-f", str(config)],
        stdout=(root / "haproxy.log").open("wb"),
        stderr=subprocess.STDOUT,
    )
    balancer = LoadBalancer(f"http://127.0.0.1:{port}", process, root / "haproxy.log")
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail("haproxy exited:\n" + (root / "haproxy.log").read_text())
        try:
            if httpx.get(balancer.base_url + "/healthz", timeout=2).status_code == 200:
                return balancer
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    balancer.stop()
    pytest.fail("haproxy did not pass /healthz through within 20 s")
