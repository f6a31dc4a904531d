"""docker-compose.yml and the Dockerfile, checked against the code they deploy.

No Docker engine is needed: the files are parsed and compared with `Settings`, the
project's torch pin and the CLI. tests/test_server_process.py runs the same topology as
plain processes.
"""

from __future__ import annotations

import json
import os
import re
import tomllib
import typing
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import BaseModel, ValidationError
from sqlalchemy.engine import make_url

from bot.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
PREFIX = "SWITCHBOARD_"
DELIMITER = "__"
DUMMY_SECRET = "compose-test-secret-not-for-production"


def settings_env_names(model: type[BaseModel] = Settings, prefix: str = PREFIX) -> set[str]:
    """Every environment variable that sets a leaf field of `model`, nested with `__`."""
    names: set[str] = set()
    for name, field in model.model_fields.items():
        env_name = f"{prefix}{name.upper()}"
        nested = _model_in(field.annotation)
        if nested is None:
            names.add(env_name)
        else:
            names |= settings_env_names(nested, env_name + DELIMITER)
    return names


def _model_in(annotation: Any) -> type[BaseModel] | None:
    """The BaseModel class an annotation holds (directly or in `X | None`), if any."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _model_in(arg)
        if found is not None:
            return found
    return None


_VARIABLE = re.compile(r"\$\{(?P<name>\w+)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\}")


def interpolate(value: str, env: Mapping[str, str]) -> str:
    """Compose's `${NAME}`, `${NAME:-default}` and `${NAME:?error}` substitution."""

    def substitute(match: re.Match[str]) -> str:
        name, op, arg = match["name"], match["op"], match["arg"]
        found = env.get(name)
        if op and op.endswith("-") and not found:
            return arg
        if op and op.endswith("?") and not found:
            raise KeyError(f"{name}: {arg}")
        return found or ""

    return _VARIABLE.sub(substitute, value)


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


@pytest.fixture(scope="module")
def dockerfile() -> str:
    return (ROOT / "Dockerfile").read_text()


def _environment(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment", {})
    if isinstance(env, list):  # the `- NAME=value` form
        env = dict(item.split("=", 1) for item in env)
    return {name: str(value) for name, value in env.items()}


def _healthcheck_command(service: dict[str, Any]) -> str:
    test = service["healthcheck"]["test"]
    return test if isinstance(test, str) else " ".join(test)


def _instructions(dockerfile: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, with continuation lines joined."""
    joined = re.sub(r"\\\n", " ", dockerfile)
    found = []
    for line in joined.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            found.append((keyword.upper(), rest.strip()))
    return found


@pytest.fixture
def compose_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """An environment with no SWITCHBOARD_ variables but the ones a test sets."""
    for name in list(os.environ):
        if name.startswith(PREFIX):
            monkeypatch.delenv(name)
    yield {
        "POSTGRES_PASSWORD": "compose-test-password",
        "SWITCHBOARD_WEBCHAT__SECRET_KEY": DUMMY_SECRET,
    }


def test_settings_env_names_walks_nested_models() -> None:
    names = settings_env_names()
    assert "SWITCHBOARD_ENVIRONMENT" in names
    assert "SWITCHBOARD_DATABASE__URL" in names
    assert "SWITCHBOARD_WEBCHAT__SECRET_KEY" in names
    assert "SWITCHBOARD_DELIVERY__SHUTDOWN_GRACE_SECONDS" in names
    assert "SWITCHBOARD_DATABASE" not in names  # a nested model, not a leaf


def test_compose_has_postgres_switchboard_and_the_load_balancer(compose: dict[str, Any]) -> None:
    expected = {"postgres", "switchboard", "load-balancer", "rasa", "actions"}
    assert set(compose["services"]) == expected
    always = {name for name, s in compose["services"].items() if not s.get("profiles")}
    assert always == {"postgres", "switchboard", "load-balancer"}


def test_actions_profile_serves_the_action_server_on_the_same_store(
    compose: dict[str, Any],
) -> None:
    actions = compose["services"]["actions"]
    assert actions["profiles"] == ["actions"]
    assert actions["command"][:2] == ["actions", "serve"] and "5055" in actions["command"]
    assert "ports" not in actions  # it trusts its caller: never published
    switchboard_env = compose["services"]["switchboard"]["environment"]
    url = actions["environment"]["SWITCHBOARD_DATABASE__URL"]
    assert url == switchboard_env["SWITCHBOARD_DATABASE__URL"]
    endpoints = yaml.safe_load((ROOT / "deploy" / "rasa" / "endpoints.yml").read_text())
    assert endpoints["action_endpoint"]["url"] == "http://actions:5055/webhook"


# What only the replicas read: how they reach Rasa, and who their load balancer is.
SERVER_ONLY = {
    "SWITCHBOARD_NLU__BACKEND",
    "SWITCHBOARD_NLU__RASA_URL",
    "SWITCHBOARD_RATE_LIMITS__TRUSTED_PROXIES",
}


def test_the_action_server_sees_the_deployment_the_replicas_see(
    compose: dict[str, Any],
) -> None:
    # A contact change through Rasa sends its code on the channels the deployment has
    # and tells the support team's hours: the action server needs the same channel and
    # support settings as the replicas (it had only the store and the secret).
    replicas = _environment(compose["services"]["switchboard"])
    actions = _environment(compose["services"]["actions"])
    assert {name: replicas[name] for name in set(replicas) - SERVER_ONLY} == actions
    assert "SWITCHBOARD_SLACK__BOT_TOKEN" in actions and "SWITCHBOARD_PUBLIC_BASE_URL" in actions
    # A setting added to the shared block reaches both services.
    block = compose["x-switchboard-settings"]
    assert set(block) <= set(replicas) and set(block) == set(actions)


def test_rasa_profile_trains_and_serves_rasa_on_the_same_data(
    compose: dict[str, Any], compose_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    rasa = compose["services"]["rasa"]
    assert rasa["profiles"] == ["rasa"]
    assert rasa["image"] == "rasa/rasa:3.6.21-full"
    command = " ".join(rasa["command"])
    assert command.index("rasa train nlu") < command.index("rasa run --enable-api")
    assert "./nlu/data:/app/data:ro" in rasa["volumes"]
    assert (ROOT / "deploy" / "rasa" / "config.yml").is_file()
    assert "5005" in " ".join(rasa["healthcheck"]["test"])
    # Switchboard points at it when the operator asks for the rasa backend.
    env = _environment(compose["services"]["switchboard"])
    assert env["SWITCHBOARD_NLU__RASA_URL"] == "http://rasa:5005"
    for name, raw in env.items():
        monkeypatch.setenv(
            name, interpolate(raw, {**compose_env, "SWITCHBOARD_NLU__BACKEND": "rasa"})
        )
    settings = Settings()
    assert (settings.nlu.backend, settings.nlu.rasa_url) == ("rasa", "http://rasa:5005")


def test_postgres_keeps_its_data_and_reports_readiness(compose: dict[str, Any]) -> None:
    postgres = compose["services"]["postgres"]
    assert postgres["image"].startswith("postgres:15")
    mounts = [str(volume).split(":") for volume in postgres["volumes"]]
    assert ["postgres-data", "/var/lib/postgresql/data"] in mounts
    assert "postgres-data" in compose["volumes"]
    assert "pg_isready" in _healthcheck_command(postgres)
    env = _environment(postgres)
    assert {"POSTGRES_DB", "POSTGRES_USER", "POSTGRES_PASSWORD"} <= set(env)


def test_switchboard_replicas_wait_for_healthy_postgres_behind_the_balancer(
    compose: dict[str, Any], compose_env: dict[str, str]
) -> None:
    server = compose["services"]["switchboard"]
    assert server["build"] == "."
    assert server["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert "ports" not in server  # replicas cannot share a host port: the balancer has it
    assert [str(port) for port in server["expose"]] == ["8000"]
    replicas = interpolate(str(server["deploy"]["replicas"]), compose_env)
    assert int(replicas) >= 2
    assert "/healthz" in _healthcheck_command(server)
    assert any(str(volume).endswith(":/data") for volume in server["volumes"])


def test_the_load_balancer_publishes_8000_and_checks_every_replica(
    compose: dict[str, Any],
) -> None:
    balancer = compose["services"]["load-balancer"]
    assert balancer["image"].startswith("haproxy:")
    assert "8000:8000" in [str(port) for port in balancer["ports"]]
    mount = "./deploy/haproxy/haproxy.cfg:/usr/local/etc/haproxy/haproxy.cfg:ro"
    assert mount in balancer["volumes"]
    # Its own 503 (no replica healthy) is JSON with Retry-After: the page is mounted.
    assert "./deploy/haproxy/errors:/usr/local/etc/haproxy/errors:ro" in balancer["volumes"]
    config = (ROOT / "deploy" / "haproxy" / "haproxy.cfg").read_text()
    assert re.search(r"^\s*bind :8000$", config, re.M)
    # Every replica by Docker's DNS name of the service, health-checked on /healthz.
    assert re.search(r"server-template \w+ \d+ switchboard:8000 check resolvers docker", config)
    slots = int(re.search(r"server-template \w+ (\d+) ", config)[1])  # type: ignore[index]
    replicas = compose["services"]["switchboard"]["deploy"]["replicas"]
    assert int(interpolate(str(replicas), {})) <= slots  # the default replicas all get traffic
    assert "http-check send meth GET uri /healthz" in config
    assert "http-check expect status 200" in config
    assert re.search(r"timeout tunnel \d+", config)  # upgraded WebSockets stay open


@pytest.mark.parametrize("subnet", [None, "10.77.3.0/24"])
def test_the_replicas_trust_the_load_balancers_forwarded_client_address(
    compose: dict[str, Any],
    compose_env: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    subnet: str | None,
) -> None:
    # HAProxy appends the client to X-Forwarded-For; the replicas read it from peers on
    # the services' network only. Without both, every visitor was counted as the load
    # balancer's address against the per-address limits.
    config = (ROOT / "deploy" / "haproxy" / "haproxy.cfg").read_text()
    assert re.search(r"^\s*option forwardfor\s*$", config, re.M)
    if subnet:
        compose_env["SWITCHBOARD_SUBNET"] = subnet
    (network,) = compose["networks"]["default"]["ipam"]["config"]
    for name, raw in _environment(compose["services"]["switchboard"]).items():
        monkeypatch.setenv(name, interpolate(raw, compose_env))

    trusted = Settings().rate_limits.trusted_proxies

    assert trusted == [interpolate(network["subnet"], compose_env)]
    assert trusted == [subnet or "172.28.80.0/24"]
    assert "ports" not in compose["services"]["switchboard"]  # reached through it only


def test_switchboard_environment_names_real_settings(compose: dict[str, Any]) -> None:
    env = _environment(compose["services"]["switchboard"])
    ours = {name for name in env if name.startswith(PREFIX)}
    assert ours, "the switchboard service sets no SWITCHBOARD_ variables"
    unknown = ours - settings_env_names()
    assert not unknown, f"not fields of bot.settings.Settings: {sorted(unknown)}"
    assert env["SWITCHBOARD_ENVIRONMENT"] == "production"
    # The secret must come from the operator: compose refuses to start without it.
    assert ":?" in env["SWITCHBOARD_WEBCHAT__SECRET_KEY"]


def test_database_url_points_at_the_postgres_service(
    compose: dict[str, Any], compose_env: dict[str, str]
) -> None:
    services = compose["services"]
    postgres = _environment(services["postgres"])
    raw = _environment(services["switchboard"])["SWITCHBOARD_DATABASE__URL"]
    url = make_url(interpolate(raw, compose_env))
    assert url.drivername == "postgresql+psycopg"
    assert url.host == "postgres"
    assert url.port in (None, 5432)
    assert url.database == postgres["POSTGRES_DB"]
    assert url.username == postgres["POSTGRES_USER"]
    assert url.password == interpolate(postgres["POSTGRES_PASSWORD"], compose_env)


def test_compose_settings_construct(
    compose: dict[str, Any], compose_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, raw in _environment(compose["services"]["switchboard"]).items():
        monkeypatch.setenv(name, interpolate(raw, compose_env))

    settings = Settings()

    assert settings.environment == "production"
    assert settings.webchat_secret() == DUMMY_SECRET
    assert make_url(settings.database_url).host == "postgres"
    assert settings.public_base_url == "http://localhost:8000"
    assert settings.log.level == "INFO"
    assert settings.nlu.backend == "local"


def test_compose_refuses_to_interpolate_without_a_secret(
    compose: dict[str, Any], compose_env: dict[str, str]
) -> None:
    del compose_env["SWITCHBOARD_WEBCHAT__SECRET_KEY"]
    raw = _environment(compose["services"]["switchboard"])["SWITCHBOARD_WEBCHAT__SECRET_KEY"]
    with pytest.raises(KeyError, match="SWITCHBOARD_WEBCHAT__SECRET_KEY"):
        interpolate(raw, compose_env)


def test_production_without_a_secret_refuses_to_start(
    compose: dict[str, Any], compose_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, raw in _environment(compose["services"]["switchboard"]).items():
        if name != "SWITCHBOARD_WEBCHAT__SECRET_KEY":
            monkeypatch.setenv(name, interpolate(raw, compose_env))

    with pytest.raises(ValidationError, match="SWITCHBOARD_WEBCHAT__SECRET_KEY must be set"):
        Settings()


def test_dockerfile_installs_the_pinned_cpu_torch_first(dockerfile: str) -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    pins = [dep for dep in pyproject["project"]["dependencies"] if dep.startswith("torch==")]
    assert len(pins) == 1, "pyproject.toml should pin torch exactly"
    runs = [args for keyword, args in _instructions(dockerfile) if keyword == "RUN"]
    torch_runs = [i for i, args in enumerate(runs) if pins[0] in args.split()]
    assert torch_runs, f"no RUN installs {pins[0]}"
    torch_run = runs[torch_runs[0]]
    assert "--index-url https://download.pytorch.org/whl/cpu" in torch_run
    project = re.compile(r"pip install (\S+ )*\.(\s|$)")
    project_runs = [i for i, args in enumerate(runs) if project.search(args)]
    assert project_runs and torch_runs[0] < project_runs[0], "torch must be installed first"


def test_dockerfile_runs_as_a_user_with_data_dir_and_port(dockerfile: str) -> None:
    instructions = _instructions(dockerfile)
    assert instructions[0] == ("FROM", "python:3.11-slim")
    users = [args for keyword, args in instructions if keyword == "USER"]
    assert users and users[-1] not in ("root", "0")
    envs = " ".join(args for keyword, args in instructions if keyword == "ENV")
    assert "SWITCHBOARD_DATA_DIR=/data" in envs
    assert ("EXPOSE", "8000") in instructions


def test_dockerfile_healthcheck_asks_healthz(dockerfile: str) -> None:
    checks = [args for keyword, args in _instructions(dockerfile) if keyword == "HEALTHCHECK"]
    assert len(checks) == 1
    assert "/healthz" in checks[0]
    assert "curl" not in checks[0]  # python:3.11-slim has none


def test_dockerfile_migrates_before_serving(dockerfile: str) -> None:
    entrypoints = [args for keyword, args in _instructions(dockerfile) if keyword == "ENTRYPOINT"]
    assert len(entrypoints) == 1
    command = " ".join(json.loads(entrypoints[0]))
    upgrade, serve = "switchboard db upgrade", "switchboard serve --host 0.0.0.0 --port 8000"
    assert upgrade in command and serve in command, command
    assert command.index(upgrade) < command.index(serve)
    assert "db upgrade &&" in command, "a failed migration must stop the start"


def test_dockerignore_keeps_local_state_out() -> None:
    ignored = set((ROOT / ".dockerignore").read_text().split())
    assert {".git", ".venv", "var"} <= ignored
