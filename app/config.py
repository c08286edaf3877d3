"""Settings from the environment (prefix KAKEHASHI_); nothing else reads os.environ."""

from functools import lru_cache
from pathlib import Path
from typing import Literal

from limits import parse_many
from limits.storage import SCHEMES
from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEVELOPMENT_SECRET = "development-secret-change-me"


class Settings(BaseSettings):
    """Runtime configuration of the service, the CLI and the worker."""

    # Errors never echo a value: a refused secret must not reach a log or a terminal.
    model_config = SettingsConfigDict(
        env_prefix="KAKEHASHI_", env_file=".env", extra="ignore", hide_input_in_errors=True
    )

    env: Literal["development", "test", "production"] = "development"
    database_url: str = "sqlite:///./kakehashi.db"
    secret_key: str = Field(default=DEVELOPMENT_SECRET, repr=False)
    log_level: str = "INFO"
    # Directory of a sentence-transformers model; empty means the bundled all-MiniLM-L6-v2.
    model_path: str = ""
    embedding_batch_size: int = Field(default=32, ge=1, le=1024)
    # Run the background job worker inside the API process (one worker thread).
    run_worker: bool = True
    worker_poll_seconds: float = Field(default=1.0, gt=0)
    # A running job's lock is renewed every quarter of this; a lock older than this belongs
    # to a dead worker and the job is handed out again.
    job_lock_seconds: float = Field(default=60, ge=2)
    max_body_bytes: int = Field(default=1_048_576, ge=1024)
    max_upload_bytes: int = Field(default=200 * 1_048_576, ge=1024)
    cache_dir: Path = Path(".cache")
    # Match indexes over at least this many records are built in a child process, so an API
    # process never keeps the builder's memory (about 3 GiB at 100,000 profiles).
    index_build_child_from: int = Field(default=20_000, ge=0)
    # Files uploaded through the admin pages wait here for the import job; with workers on
    # several hosts it must be a shared volume.
    upload_dir: Path = Path("var/uploads")
    admin_session_hours: float = Field(default=12, gt=0)
    admin_idle_minutes: float = Field(default=120, gt=0)
    # Consecutive failed sign-ins that lock an account, and for how long.
    login_max_failures: int = Field(default=5, ge=1)
    login_lockout_minutes: float = Field(default=15, gt=0)
    # Rate limits, in the `limits` notation ("20/minute", several joined by ";"). Counters live
    # in rate_limit_storage_url: memory:// is per process (with several workers each one counts
    # on its own); redis://host:6379/0 shares them (needs the redis package).
    rate_limit_storage_url: str = "memory://"
    login_rate_limit: str = "20/minute"  # sign-in attempts per client address
    api_rate_limit_per_key: str = "1200/minute"
    api_rate_limit_per_address: str = "2400/minute"
    # Days a partner's response link stays valid after the distribution is sent.
    response_link_days: int = Field(default=30, ge=1, le=365)
    seed_dir: Path = Path(__file__).resolve().parent.parent / "seed_data"
    # Where readers reach this service: links in mails (one-click opt-out) start with it.
    public_url: str = "http://127.0.0.1:8000"
    # The nightly reports' mail server (empty: none yet, reports wait in the outbox).
    # TLS: none, starttls (usually port 587) or ssl (465).
    smtp_host: str = ""
    smtp_port: int = Field(default=25, ge=1, le=65535)
    smtp_tls: Literal["none", "starttls", "ssl"] = "none"
    smtp_user: str = ""
    smtp_password: str = Field(default="", repr=False)
    smtp_timeout_seconds: float = Field(default=30, gt=0)
    mail_from: str = "Kakehashi <reports@kakehashi.invalid>"
    # A report the server did not take is tried again after this, doubling each time, until
    # it has been tried report_max_attempts times; then it is marked failed.
    report_retry_seconds: float = Field(default=300, ge=0)
    report_max_attempts: int = Field(default=6, ge=1, le=50)
    # A sender that claimed a report and went silent this long is presumed dead.
    report_claim_seconds: float = Field(default=300, ge=1)
    # How often the worker looks for organizations whose send time has come.
    report_check_minutes: float = Field(default=5, gt=0)

    @field_validator("login_rate_limit", "api_rate_limit_per_key", "api_rate_limit_per_address")
    @classmethod
    def _rate_limit(cls, value: str) -> str:
        try:
            parse_many(value)
        except ValueError:
            raise ValueError('use the form "20/minute" (per second, minute, hour or day)') from None
        return value

    @field_validator("rate_limit_storage_url")
    @classmethod
    def _rate_limit_storage(cls, value: str) -> str:
        scheme = value.partition("://")[0]
        if scheme not in SCHEMES or scheme.startswith("async+"):
            raise ValueError("use memory:// or a redis://, valkey:// or memcached:// URL")
        return value

    @model_validator(mode="after")
    def _refuse_default_secret(self) -> "Settings":
        if self.env == "production" and (
            self.secret_key == DEVELOPMENT_SECRET or len(self.secret_key) < 32
        ):
            raise ValueError(
                "KAKEHASHI_SECRET_KEY must be set to a random value of 32+ characters "
                "outside development"
            )
        return self

    @property
    def is_sqlite(self) -> bool:
        """Whether the configured database is SQLite."""
        return self.database_url.startswith("sqlite")


def describe_error(exc: ValidationError) -> str:
    """One line naming each refused setting and why, never its value."""
    problems = []
    for error in exc.errors(include_input=False, include_url=False):
        reason = str(error["msg"]).removeprefix("Value error, ")
        field = "_".join(str(part) for part in error["loc"])
        problems.append(f"KAKEHASHI_{field.upper()}: {reason}" if field else reason)
    return "invalid settings: " + "; ".join(problems)


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()
