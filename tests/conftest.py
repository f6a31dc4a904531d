"""Shared fixtures: databases on SQLite and real PostgreSQL, settings, an app factory.

PostgreSQL comes from SWITCHBOARD_TEST_POSTGRES_URL (scripts/test.sh starts one). Each
test that asks for it gets a fresh database of its own, dropped afterwards. Without a
server the PostgreSQL half is skipped, unless SWITCHBOARD_REQUIRE_POSTGRES=1 (as in
`make test` and CI), where a missing server is an error.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from filelock import FileLock

from bot.settings import DatabaseSettings, DeliverySettings, NluSettings, Settings
from crm_store import Database, upgrade
from demo.help_centre import ensure_demo_knowledge
from knowledge import KnowledgeBase
from knowledge.embeddings import SentenceEncoder
from nlu import ensure_demo_model
from tests.support.postgres import (
    POSTGRES_URL,
    REQUIRE_POSTGRES,
    create_database,
    drop_database,
    fresh_database,
)
from tests.support.prepared import PreparedState


@pytest.fixture(scope="session")
def encoder() -> Iterator[SentenceEncoder]:
    """The real all-MiniLM-L6-v2 encoder, loaded once for the whole test run."""
    real = SentenceEncoder()
    yield real
    real.close()


@pytest.fixture(scope="session")
def prepared(encoder: SentenceEncoder, tmp_path_factory: pytest.TempPathFactory) -> PreparedState:
    # Built once for the run: under pytest-xdist the workers' temporary folders share a
    # parent, and the first worker to take the lock builds there while the other waits
    # (each built its own copy, the two builds sharing the 2 cores, before).
    base = tmp_path_factory.getbasetemp()
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    root = shared / "prepared"
    with FileLock(str(shared / "prepared.lock")):
        if not (root / "ready").exists():
            shutil.rmtree(root, ignore_errors=True)  # a build that failed half-way
            root.mkdir()
            knowledge = KnowledgeBase.open(root / "knowledge", encoder)
            ensure_demo_knowledge(knowledge)
            knowledge.close()
            ensure_demo_model(root / "nlu-model", encoder)
            (root / "ready").touch()
    return PreparedState(root / "knowledge", root / "nlu-model")


def postgres_server() -> str:
    """The test PostgreSQL server's URL; the test is skipped without one, or fails where
    PostgreSQL is required."""
    if not POSTGRES_URL:
        if REQUIRE_POSTGRES:
            pytest.fail("SWITCHBOARD_TEST_POSTGRES_URL is not set but PostgreSQL is required")
        pytest.skip("no PostgreSQL server (set SWITCHBOARD_TEST_POSTGRES_URL or run make test)")
    return POSTGRES_URL


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test."""
    with fresh_database(postgres_server()) as url:
        yield url


class MigratedTemplates:
    """A database of each kind brought to the newest migration once per test process,
    copied for each test that would migrate its own (`database_url`): a copy takes a
    few milliseconds, running the migrations about half a second of CPU."""

    def __init__(self, folder: Path) -> None:
        self._folder = folder
        self._sqlite: Path | None = None
        self._postgres: str | None = None

    def sqlite_copy(self, path: Path) -> None:
        if self._sqlite is None:
            template = self._folder / "migrated.db"
            upgrade(f"sqlite:///{template}")
            self._sqlite = template
        shutil.copyfile(self._sqlite, path)

    def postgres_template(self, server_url: str) -> str:
        if self._postgres is None:
            name = f"sb_template_{uuid.uuid4().hex[:12]}"
            upgrade(create_database(server_url, name))
            self._postgres = name
        return self._postgres

    def drop(self, server_url: str | None) -> None:
        if self._postgres and server_url:
            drop_database(server_url, self._postgres)


@pytest.fixture(scope="session")
def migrated_templates(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MigratedTemplates]:
    templates = MigratedTemplates(tmp_path_factory.mktemp("migrated-templates"))
    yield templates
    templates.drop(POSTGRES_URL)


# A test that opens its store through these fixtures gets a database already at the
# newest migration (the app's own migration at start then finds nothing to do); one that
# only asks for `database_url` gets it empty, as migration tests need.
_MIGRATES_ITS_DATABASE = frozenset({"database", "settings"})


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The same test on SQLite (a file) and on real PostgreSQL."""
    migrated = (
        bool(_MIGRATES_ITS_DATABASE & set(request.fixturenames))
        or request.node.get_closest_marker("migrated_database") is not None
    )
    if request.param == "sqlite":
        path = tmp_path / "switchboard.db"
        if migrated:
            request.getfixturevalue("migrated_templates").sqlite_copy(path)
        yield f"sqlite:///{path}"
        return
    if not migrated:
        yield request.getfixturevalue("postgres_url")
        return
    server = postgres_server()
    template = request.getfixturevalue("migrated_templates").postgres_template(server)
    with fresh_database(server, template=template) as url:
        yield url


@pytest.fixture
def database(database_url: str) -> Iterator[Database]:
    upgrade(database_url)
    db = Database(database_url)
    yield db
    db.dispose()


@pytest.fixture
def settings(tmp_path: Path, database_url: str, prepared: PreparedState) -> Settings:
    """Settings for an app under test: its own data dir and database, quick retries."""
    return Settings(
        data_dir=prepared.seed(tmp_path / "var"),
        nlu=NluSettings(model_dir=prepared.nlu_model_dir),
        database=DatabaseSettings(url=database_url, auto_migrate=True),
        delivery=DeliverySettings(
            base_delay_seconds=0.01, max_delay_seconds=0.05, poll_interval_seconds=0.05
        ),
    )


@pytest.fixture
def sqlite_settings(
    tmp_path: Path, prepared: PreparedState, migrated_templates: MigratedTemplates
) -> Settings:
    """Settings on SQLite only, for HTTP behaviour that does not depend on the database."""
    migrated_templates.sqlite_copy(tmp_path / "api.db")
    return Settings(
        data_dir=prepared.seed(tmp_path / "var"),
        nlu=NluSettings(model_dir=prepared.nlu_model_dir),
        database=DatabaseSettings(url=f"sqlite:///{tmp_path / 'api.db'}", auto_migrate=True),
        delivery=DeliverySettings(
            base_delay_seconds=0.01, max_delay_seconds=0.05, poll_interval_seconds=0.05
        ),
    )


# Files of a minute or more of servers and processes run first. `make test` gives two
# pytest-xdist workers whole files in collection order, where these came last
# (tests/test_*.py after the folders): one worker was left with them at the end while
# the other sat idle.
_SLOW_FILES = (
    "tests/test_scale_out.py",
    "tests/test_crash_sweep.py",
    "tests/test_server_process.py",
    "tests/api/test_openapi_conformance.py",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    items.sort(key=lambda item: item.nodeid.split("::")[0] not in _SLOW_FILES)  # stable
