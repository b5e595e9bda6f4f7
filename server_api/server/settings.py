"""The central server's one settings object (environment variables ``KIOSK_CENTRAL_*``)."""
from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATA_DIR = Path("data/central")


def default_database_url(data_dir: Path) -> str:
    """The embedded default: a SQLite file inside the data folder."""
    return f"sqlite:///{Path(data_dir).resolve() / 'central.db'}"


class CentralSettings(BaseSettings):
    """Everything the central server can be told; defaults suit one centre on one machine."""

    model_config = SettingsConfigDict(env_prefix="KIOSK_CENTRAL_", extra="ignore")

    data_dir: Path = DEFAULT_DATA_DIR
    # Empty means the SQLite default inside data_dir (see ``resolved_database_url``).
    database_url: str = ""
    host: str = "127.0.0.1"
    port: int = Field(default=8800, ge=1, le=65535)
    # Server processes (uvicorn workers); several need PostgreSQL to scale.
    workers: int = Field(default=1, ge=1, le=64)

    # Password of the first ``admin`` account; generated and printed once when unset.
    admin_password: str | None = Field(default=None, repr=False)
    # Key signing the console's session cookie; generated into data_dir when unset.
    session_secret: str | None = Field(default=None, repr=False)
    # A console session ends after this long without a request (idle timeout), and in
    # any case this long after sign-in (absolute lifetime), both by the server's clock.
    session_idle_timeout_s: int = Field(default=30 * 60, gt=0)
    session_max_age_s: int = Field(default=8 * 3600, gt=0)
    # Set in production behind TLS so the session cookie never travels in clear.
    session_https_only: bool = False

    # Sign-in lockout: this many failures for one account name within the window lock
    # that name for ``login_lockout_s``; a client address gets a larger allowance over
    # every name it tries (against password spraying). Counters live in the database.
    login_max_failures: int = Field(default=5, ge=1)
    login_address_max_failures: int = Field(default=20, ge=1)
    login_failure_window_s: int = Field(default=15 * 60, gt=0)
    login_lockout_s: int = Field(default=15 * 60, gt=0)

    enrol_token_ttl_hours: float = Field(default=24.0, gt=0)
    # How far the "created" time of a terminal's request signature may be from the
    # server's clock, either way; its nonce is remembered that long.
    signature_max_skew_s: int = Field(default=300, ge=1, le=86400)
    # Staff see times in the centre's local time; storage is always UTC.
    display_timezone: str = "Asia/Shanghai"
    # (The days to report back from leave, 销假, are the centre's terminal configuration
    # key ``leave_return_days``: see docs/LEAVE_RULES.md.)
    max_lesson_bytes: int = Field(default=2 * 1024**3, gt=0)
    max_snapshot_bytes: int = Field(default=2 * 1024**2, gt=0)
    # All the WAV recordings of one voice enrolment together.
    max_voice_bytes: int = Field(default=10 * 1024**2, gt=0)
    # One voice template (opaque to the server; every roster sync carries it).
    max_voice_template_bytes: int = Field(default=256 * 1024, gt=0)
    # All the pages (or the recording) of one written report (思想汇报) together.
    max_report_bytes: int = Field(default=8 * 1024**2, gt=0)
    # The AES-256 key that encrypts written reports at rest; empty means
    # ``<data_dir>/report.key``, created (mode 0600) on first use. Keep it out of backups
    # of the data folder (see docs/WRITTEN_REPORTS.md).
    report_key_file: Path | None = None
    # One request body of the terminal API (a batch of events with its snapshots and
    # recordings); a larger one is refused whole with 413 ``payload_too_large``.
    max_api_body_bytes: int = Field(default=128 * 1024**2, gt=0)

    def resolved_database_url(self) -> str:
        """The configured database URL, or the SQLite file in the data folder."""
        return self.database_url or default_database_url(self.data_dir)
