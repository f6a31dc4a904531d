"""Shared fixtures: databases on SQLite and real PostgreSQL, settings, an app factory.

PostgreSQL comes from SWITCHBOARD_TEST_POSTGRES_URL (scripts/test.sh starts one). Each
test that asks for it gets a fresh database of its own, dropped afterwards. Without a
server the PostgreSQL half is skipped, unless SWITCHBOARD_REQUIRE_POSTGRES=1 (as in
`make test` and CI), where a missing server is an error.
"""

from __future__ import annotations

import os
import shutil
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
from tests.support.postgres import POSTGRES_URL, REQUIRE_POSTGRES, fresh_database
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


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test."""
    if not POSTGRES_URL:
        if REQUIRE_POSTGRES:
            pytest.fail("SWITCHBOARD_TEST_POSTGRES_URL is not set but PostgreSQL is required")
        pytest.skip("no PostgreSQL server (set SWITCHBOARD_TEST_POSTGRES_URL or run make test)")
    with fresh_database(POSTGRES_URL) as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The same test on SQLite (a file) and on real PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'switchboard.db'}"
    return request.getfixturevalue("postgres_url")


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
def sqlite_settings(tmp_path: Path, prepared: PreparedState) -> Settings:
    """Settings on SQLite only, for HTTP behaviour that does not depend on the database."""
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
