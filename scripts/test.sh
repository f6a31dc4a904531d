#!/usr/bin/env bash
# The whole test suite, as `make test` runs it: system packages, a throwaway PostgreSQL,
# lint, then pytest against SQLite and PostgreSQL (the store tests are parametrised over
# both) and the widget in headless Chromium. Stops what it started.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/system-packages.sh

pgdir=$(mktemp -d /tmp/switchboard-pg.XXXXXX)
pgport=${SWITCHBOARD_TEST_PG_PORT:-$((20000 + RANDOM % 20000))}
trap 'scripts/postgres.sh stop "$pgdir"' EXIT
SWITCHBOARD_TEST_POSTGRES_URL=$(scripts/postgres.sh start "$pgdir" "$pgport")
export SWITCHBOARD_TEST_POSTGRES_URL
export SWITCHBOARD_REQUIRE_POSTGRES=1
echo "PostgreSQL for tests at $SWITCHBOARD_TEST_POSTGRES_URL" >&2

# Python keeps compiled modules again (a machine may set PYTHONDONTWRITEBYTECODE): the
# suite starts a few hundred server and CLI processes, each of which compiled the
# project's modules afresh (0.6 s of CPU for `import bot.app` on a slow machine).
unset PYTHONDONTWRITEBYTECODE
.venv/bin/python -m compileall -q -j 0 -x '/\.(venv|git)/' . >/dev/null

.venv/bin/ruff check .
.venv/bin/ruff format --check .
# Two worker processes (SWITCHBOARD_TEST_WORKERS), whole files per worker so a file's
# module fixtures (the compose and several-process servers) start once. Most tests wait
# on servers, sockets and PostgreSQL, so one process left a core idle: on a quiet 2-core
# machine pytest took 27 min 53 s in one process, 16 min 37 s in two. `-n 0`: one.
# The 40 slowest steps are listed at the end, where CI time can be looked for.
.venv/bin/python -m pytest -n "${SWITCHBOARD_TEST_WORKERS:-2}" --dist loadfile --durations=40 "$@"
