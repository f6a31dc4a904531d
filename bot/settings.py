"""Settings, read from the environment (prefix SWITCHBOARD_, nesting with __).

Built inside `create_app` / the CLI, never at import. Lower packages get plain values
(a URL, a path, a number), never this object.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

MIN_SECRET_LENGTH = 32


class DatabaseSettings(BaseModel):
    url: str | None = Field(
        default=None,
        description="SQLAlchemy URL; default: SQLite file switchboard.db in the data dir",
    )
    auto_migrate: bool | None = Field(
        default=None,
        description="apply migrations at server start; default: yes for SQLite, no otherwise",
    )
    echo: bool = Field(default=False, description="log every SQL statement")


class WebChatSettings(BaseModel):
    secret_key: SecretStr | None = Field(
        default=None,
        description="signs widget session tokens; development generates one in the data dir",
    )
    session_ttl_seconds: int = Field(default=30 * 24 * 3600, gt=0)
    max_text_length: int = Field(default=4000, gt=0)


class DeliverySettings(BaseModel):
    max_attempts: int = Field(default=6, ge=1, description="tries before a send is failed")
    base_delay_seconds: float = Field(default=1.0, gt=0, description="first retry delay")
    max_delay_seconds: float = Field(default=300.0, gt=0, description="cap on retry delay")
    poll_interval_seconds: float = Field(default=1.0, gt=0)
    lease_seconds: float = Field(
        default=60.0, gt=0, description="a claimed send not finished by then is retried"
    )
    shutdown_grace_seconds: float = Field(
        default=10.0, ge=0, description="at shutdown, wait this long for sends in flight"
    )


class NluSettings(BaseModel):
    """The NLU layer (nlu/). Fields belong to that layer's issue."""

    model_dir: Path | None = Field(
        default=None,
        description="trained NLU model; default: the shipped demo model, trained at first start",
    )
    api_token: SecretStr | None = Field(
        default=None, description="when set, POST /model/parse requires it (?token= or Bearer)"
    )
    backend: Literal["local", "rasa"] = Field(
        default="local", description="local: nlu/ in process; rasa: a Rasa server's /model/parse"
    )
    rasa_url: str | None = Field(
        default=None, description="the Rasa server when backend=rasa, e.g. http://rasa:5005"
    )
    rasa_token: SecretStr | None = Field(
        default=None, description="the Rasa server's --auth-token, if it has one"
    )


class KnowledgeSettings(BaseModel):
    """The knowledge layer (knowledge/). Fields belong to that layer's issue."""

    index_dir: Path | None = Field(
        default=None, description="FAISS and lexical index; default: <data dir>/knowledge"
    )
    answer_threshold: float | None = Field(
        default=None,
        ge=0.0,
        le=1.0,
        description="answer from the KB at or above this similarity; default: the calibrated"
        " knowledge.ANSWER_THRESHOLD",
    )
    ingest_demo: bool = Field(
        default=True, description="ingest the demo help centre at start when the KB is empty"
    )


class EncoderSettings(BaseModel):
    """The sentence encoder shared by knowledge and NLU (knowledge/embeddings.py)."""

    backend: Literal["onnx", "torch"] = Field(
        default="onnx",
        description="onnx: ONNX Runtime on an export made once into cache_dir; torch: PyTorch",
    )
    cache_dir: Path | None = Field(
        default=None,
        description="where the ONNX export is kept; default: ~/.cache/switchboard/encoders"
        " ($XDG_CACHE_HOME is honoured)",
    )


class LogSettings(BaseModel):
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    format: Literal["json", "text"] = "json"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="SWITCHBOARD_", env_nested_delimiter="__", extra="ignore"
    )

    environment: Literal["development", "production"] = "development"
    data_dir: Path = Field(default=Path("var"), description="SQLite file and other state")
    public_base_url: str | None = Field(
        default=None, description="the URL providers and browsers reach this server at"
    )
    max_body_bytes: int = Field(default=64 * 1024, gt=0, description="largest request body")
    database: DatabaseSettings = DatabaseSettings()
    webchat: WebChatSettings = WebChatSettings()
    delivery: DeliverySettings = DeliverySettings()
    nlu: NluSettings = NluSettings()
    knowledge: KnowledgeSettings = KnowledgeSettings()
    encoder: EncoderSettings = EncoderSettings()
    log: LogSettings = LogSettings()

    @model_validator(mode="after")
    def _rasa_backend_needs_a_url(self) -> Settings:
        if self.nlu.backend == "rasa" and not self.nlu.rasa_url:
            raise ValueError(
                "SWITCHBOARD_NLU__RASA_URL must be set when SWITCHBOARD_NLU__BACKEND=rasa"
            )
        return self

    @model_validator(mode="after")
    def _production_needs_real_secrets(self) -> Settings:
        if self.environment == "production":
            secret = self.webchat.secret_key
            if secret is None or len(secret.get_secret_value()) < MIN_SECRET_LENGTH:
                raise ValueError(
                    f"SWITCHBOARD_WEBCHAT__SECRET_KEY must be set, at least {MIN_SECRET_LENGTH} "
                    "characters, when SWITCHBOARD_ENVIRONMENT=production "
                    "(e.g. python3 -c 'import secrets; print(secrets.token_urlsafe(32))')"
                )
            if self.database.url is None:
                raise ValueError(
                    "SWITCHBOARD_DATABASE__URL must be set when SWITCHBOARD_ENVIRONMENT=production"
                )
        return self

    @property
    def database_url(self) -> str:
        if self.database.url:
            return self.database.url
        return f"sqlite:///{(self.data_dir / 'switchboard.db').resolve()}"

    @property
    def migrate_on_start(self) -> bool:
        if self.database.auto_migrate is not None:
            return self.database.auto_migrate
        return self.database_url.startswith("sqlite")

    def webchat_secret(self) -> str:
        """The widget signing secret; in development, one kept in the data dir."""
        if self.webchat.secret_key is not None:
            return self.webchat.secret_key.get_secret_value()
        path = self.data_dir / "webchat_secret"
        if not path.exists():
            self.data_dir.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_urlsafe(32))
            path.chmod(0o600)
        return path.read_text().strip()
