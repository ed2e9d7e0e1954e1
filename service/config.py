"""Settings read from the environment (pydantic-settings).

Local use needs nothing set: the database is a SQLite file under ``var/`` and the
secrets are generated once and kept under ``var/``. Production (``CHANGXIAO_ENV=production``)
must name its secrets explicitly, or the service refuses to start.
"""

from __future__ import annotations

import secrets
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
VAR_DIR = PROJECT_ROOT / "var"


class ConfigurationError(RuntimeError):
    """The environment does not describe a service that may start."""


def _local_secret(name: str) -> str:
    """Return a secret kept in ``var/<name>``, creating it on first use."""
    path = VAR_DIR / name
    if path.exists():
        return path.read_text().strip()
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(48)
    path.write_text(value + "\n")
    path.chmod(0o600)
    return value


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="", extra="ignore")

    database_url: str = Field(
        default=f"sqlite:///{VAR_DIR / 'changxiao.sqlite3'}", alias="DATABASE_URL"
    )
    env: str = Field(default="development", alias="CHANGXIAO_ENV")
    token_secret: str = Field(default="", alias="CHANGXIAO_TOKEN_SECRET")
    # Keys the digest that recognises one owner across flats; changing it orphans
    # every stored digest, so it is kept apart from the token secret.
    id_pepper: str = Field(default="", alias="CHANGXIAO_ID_PEPPER")
    # Keys the tags of the chain-head witness log (service.funds.witness). Kept outside
    # the database, so whoever rewrites the database cannot forge the witness.
    witness_key: str = Field(default="", alias="CHANGXIAO_WITNESS_KEY")
    token_ttl_seconds: int = Field(default=8 * 3600, alias="CHANGXIAO_TOKEN_TTL")
    # How long a worker process reuses an API caller it has loaded (account, role,
    # organisation) before reading it again: the bound within which a deactivated account
    # or a changed organisation takes effect in every worker (at once in the process that
    # makes the change, service.auth.tokens.forget_caller). 0 reads it on every request.
    caller_cache_seconds: float = Field(default=5.0, ge=0, alias="CHANGXIAO_CALLER_CACHE_SECONDS")
    host: str = Field(default="127.0.0.1", alias="CHANGXIAO_HOST")
    port: int = Field(default=8000, alias="CHANGXIAO_PORT")
    # uvicorn worker processes for `changxiao serve`; scheduled jobs claim their slot in
    # the database (jobs.runs), so several workers run each slot once.
    workers: int = Field(default=1, ge=1, alias="CHANGXIAO_WORKERS")
    # PostgreSQL connections per worker process. Few: a transaction here is short, and on
    # the 2-core bench machine 4 per worker gave 726 deposits/s where 20 gave 618, the
    # extra backends only contending for the same cores (docs/benchmarks.md). Raise it
    # with the database server's cores.
    pg_pool_max: int = Field(default=4, ge=1, alias="CHANGXIAO_PG_POOL_MAX")
    # What stands between the service and PostgreSQL: "" (nothing, or a pooler in session
    # mode) or "transaction" (pgbouncer's pool_mode = transaction, where each transaction
    # may get another server connection): asyncpg then keeps no prepared-statement cache
    # (service.db.engine_from_url). docs/scaling.md, "Connection pooling".
    db_pooler: Literal["", "transaction"] = Field(default="", alias="CHANGXIAO_DB_POOLER")
    upload_max_bytes: int = Field(default=10 * 1024 * 1024, alias="CHANGXIAO_UPLOAD_MAX_BYTES")
    attachments_dir: str = Field(
        default=str(VAR_DIR / "attachments"), alias="CHANGXIAO_ATTACHMENTS_DIR"
    )
    scheduler_enabled: bool = Field(default=True, alias="CHANGXIAO_SCHEDULER")
    # Cron expressions by job name, in the district's zone, overriding each job's default
    # (JSON: {"warranty-ends": "30 7 * * *"}); six fields put seconds first.
    job_schedules: dict[str, str] = Field(default_factory=dict, alias="CHANGXIAO_JOB_SCHEDULES")
    # Jobs switched off in this deployment (comma-separated names).
    jobs_disabled: str = Field(default="", alias="CHANGXIAO_JOBS_DISABLED")
    # A running job renews its lease; a lease this old means its process died.
    job_lease_seconds: int = Field(default=300, ge=1, alias="CHANGXIAO_JOB_LEASE_SECONDS")
    job_max_attempts: int = Field(default=3, ge=1, alias="CHANGXIAO_JOB_MAX_ATTEMPTS")
    # Backoff before retry n: base × 2^(n-1) seconds.
    job_retry_seconds: int = Field(default=60, ge=0, alias="CHANGXIAO_JOB_RETRY_SECONDS")
    # How often a scheduler looks for failed or abandoned runs to take over.
    job_poll_seconds: int = Field(default=30, ge=1, alias="CHANGXIAO_JOB_POLL_SECONDS")
    # At most this many missed periods per job are caught up on start (the newest ones).
    job_catch_up_max: int = Field(default=400, ge=1, alias="CHANGXIAO_JOB_CATCH_UP_MAX")
    # Where SMS and e-mail notices go: "log" (the default: one log line each) or
    # "module:callable" taking an OutboxMessage.
    notice_sender: str = Field(default="log", alias="CHANGXIAO_NOTICE_SENDER")
    timezone: str = "Asia/Shanghai"

    @model_validator(mode="after")
    def _secrets(self) -> Settings:
        if self.env == "production":
            missing = [
                name
                for name, value in (
                    ("CHANGXIAO_TOKEN_SECRET", self.token_secret),
                    ("CHANGXIAO_ID_PEPPER", self.id_pepper),
                    ("CHANGXIAO_WITNESS_KEY", self.witness_key),
                )
                if len(value) < 32
            ]
            if missing:
                raise ConfigurationError(
                    "CHANGXIAO_ENV=production requires "
                    + ", ".join(missing)
                    + " (at least 32 characters each); refusing to start."
                )
        else:
            if not self.token_secret:
                self.token_secret = _local_secret("token_secret")
            if not self.id_pepper:
                self.id_pepper = _local_secret("id_pepper")
            if not self.witness_key:
                self.witness_key = _local_secret("witness_key")
        return self

    @property
    def is_postgres(self) -> bool:
        return self.database_url.startswith(("postgresql://", "postgres://"))


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
