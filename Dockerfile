# The Switchboard server image. docker-compose.yml runs it beside PostgreSQL.
#   docker build -t switchboard .
#   docker run -p 8000:8000 -v switchboard-data:/data switchboard
# With no arguments the container applies migrations, then serves on port 8000. With
# arguments it runs that `switchboard` command instead, for one-off jobs such as
#   docker compose run --rm switchboard staff create --name Ada --email ada@example.com --role agent
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

# torch first, from PyTorch's CPU-only index. pyproject.toml pins torch==2.13.0; the
# Linux wheel of that version on PyPI is the CUDA build, which drags in several GB of
# nvidia-* packages this server never uses (it has no GPU). Installed here, the CPU
# wheel (2.13.0+cpu) already satisfies the ==2.13.0 pin, so the project install below
# keeps it and fetches nothing from CUDA. Keep this version equal to pyproject's pin
# (tests/test_compose.py checks). Its own layer, so code changes do not re-download it.
RUN pip install --index-url https://download.pytorch.org/whl/cpu torch==2.13.0

# The project and its other dependencies (.dockerignore keeps the venv, state, caches
# and .git out of the build context).
COPY . .
RUN pip install . && rm -rf build *.egg-info

# Run as an unprivileged user. /data holds the server's state (SQLite file when no
# database URL is given, the development widget secret); created here and owned by
# that user so a fresh named volume mounted on it is writable.
RUN useradd --system --create-home --uid 10001 switchboard \
    && mkdir -p /data \
    && chown switchboard:switchboard /data
USER switchboard
ENV SWITCHBOARD_DATA_DIR=/data
VOLUME ["/data"]

EXPOSE 8000

# slim has no curl: ask /healthz with the standard library. urlopen raises on any
# status >= 400 (503 when the database does not answer), so the check fails then.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"]

# Migrations on start: `db upgrade` runs before `serve`, every time the container starts
# (a no-op when the schema is current). `exec` makes the server PID 1, so `docker stop`'s
# SIGTERM reaches uvicorn and the server drains and exits cleanly.
ENTRYPOINT ["/bin/sh", "-c", "if [ \"$#\" -gt 0 ]; then exec switchboard \"$@\"; fi; switchboard db upgrade && exec switchboard serve --host 0.0.0.0 --port 8000", "switchboard"]
