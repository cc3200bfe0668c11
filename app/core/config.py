"""Configuration from the environment, with embedded defaults for a one-command start.

Secrets are never committed: ``SECRET_KEY`` comes from the environment or is generated on
first run into the data directory, readable only by the owner.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    return int(raw) if raw not in (None, "") else default


def _bool(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name)
    if raw in (None, ""):
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


SQLITE_SYNCHRONOUS_LEVELS = ("OFF", "NORMAL", "FULL", "EXTRA")


def _sqlite_synchronous(env: Mapping[str, str]) -> str:
    raw = (env.get("SQLITE_SYNCHRONOUS") or "FULL").strip().upper()
    if raw not in SQLITE_SYNCHRONOUS_LEVELS:
        raise ValueError(
            f"SQLITE_SYNCHRONOUS must be one of {', '.join(SQLITE_SYNCHRONOUS_LEVELS)}"
        )
    return raw


def normalize_database_url(url: str) -> str:
    """Accept the usual spellings and pick the async driver for each database."""
    if url.startswith(("postgres://", "postgresql://")):
        return "postgresql+asyncpg://" + url.split("://", 1)[1]
    if url.startswith("sqlite://") and not url.startswith("sqlite+aiosqlite://"):
        return "sqlite+aiosqlite://" + url.split("://", 1)[1]
    return url


def load_or_create_secret(data_dir: Path, name: str) -> str:
    """Read a secret from the data directory, creating it (mode 0600) on first run."""
    path = data_dir / name
    if path.exists():
        return path.read_text().strip()
    # The data directory holds the database and the secrets: its owner only.
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    value = secrets.token_urlsafe(48)
    # O_EXCL: if two processes start at once, exactly one writes and both read the same value.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as fh:
        fh.write(value)
    return value


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    database_url: str
    secret_key: str
    access_token_minutes: int = 15
    session_days: int = 60
    db_pool_size: int = 10
    db_max_overflow: int = 10
    db_pool_timeout: int = 30
    sqlite_busy_timeout_ms: int = 30_000
    # FULL: a commit survives a power loss too. NORMAL (in WAL mode) may lose the last commits
    # on a power loss or an OS crash (never on an app crash), for faster writes.
    sqlite_synchronous: str = "FULL"
    argon2_time_cost: int = 3
    argon2_memory_kib: int = 65_536
    argon2_parallelism: int = 1
    # Argon2id limits the server hands out for the key wraps made on phones (docs/e2ee.md), and
    # the least it accepts: lower them only for tests (a phone redoes this at every sign-in).
    key_wrap_ops_limit: int = 2
    key_wrap_memory_kib: int = 65_536
    # Argon2 computations running at once in a process; each holds argon2_memory_kib.
    password_hash_concurrency: int = 2
    login_window_seconds: int = 15 * 60
    # Failed password checks for one account from one address before each next one waits a
    # window, then twice as long, and so on (see app.accounts.service).
    login_max_failures_per_pair: int = 5
    login_max_failures_per_address: int = 30
    # For one account from all addresses together: a ceiling on distributed guessing.
    login_max_failures_per_account: int = 100
    # Sign-up attempts per client address in an hour (each costs a password hash).
    register_max_per_address_per_hour: int = 5
    max_open_invites: int = 5
    invite_hours: int = 48
    public_url: str | None = None
    max_body_bytes: int = 64 * 1024
    serve_frontend: bool = True
    # Send Strict-Transport-Security (only when served over HTTPS, if the proxy does not).
    hsts: bool = False
    # The interactive API reference at /docs (app.core.docs); /openapi.json is always served.
    api_docs: bool = False
    # The web app's files: the repository's frontend/ unless set (e.g. a copy being deployed).
    frontend_dir: Path | None = None
    housekeeping: bool = True
    # The reminder dispatcher inside the app (the embedded default); 0 when workers run it.
    dispatcher: bool = True
    dispatch_interval_seconds: float = 15.0
    # Web Push: a PEM or a base64url raw P-256 key; None means generated into the data directory.
    vapid_private_key: str | None = field(default=None, repr=False)
    vapid_subject: str = "mailto:admin@localhost"
    # Development and tests only: accept http:// and local push endpoints (see app.push.rules).
    push_allow_insecure_endpoints: bool = False
    # Live events (GET /api/events): a comment line at least this often keeps proxies from
    # closing an idle stream, and a signed-out device's streams end within one such beat.
    live_heartbeat_seconds: float = 15.0
    # Open streams one person may hold on one app process (phones, tabs, a laptop).
    live_max_streams_per_user: int = 8

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: object) -> Settings:
        """The settings from ``env`` (the process's environment unless given), then
        ``overrides``."""
        if env is None:
            env = os.environ
        data_dir = Path(env.get("DATA_DIR") or "./data").resolve()
        database_url = normalize_database_url(
            env.get("DATABASE_URL") or f"sqlite+aiosqlite:///{data_dir / 'accord.db'}"
        )
        secret_key = env.get("SECRET_KEY") or load_or_create_secret(data_dir, "secret_key")
        values: dict[str, object] = {
            "data_dir": data_dir,
            "database_url": database_url,
            "secret_key": secret_key,
            "access_token_minutes": _int(env, "ACCESS_TOKEN_MINUTES", 15),
            "session_days": _int(env, "SESSION_DAYS", 60),
            "db_pool_size": _int(env, "DB_POOL_SIZE", 10),
            "db_max_overflow": _int(env, "DB_MAX_OVERFLOW", 10),
            "db_pool_timeout": _int(env, "DB_POOL_TIMEOUT", 30),
            "sqlite_busy_timeout_ms": _int(env, "SQLITE_BUSY_TIMEOUT_MS", 30_000),
            "sqlite_synchronous": _sqlite_synchronous(env),
            "argon2_time_cost": _int(env, "ARGON2_TIME_COST", 3),
            "argon2_memory_kib": _int(env, "ARGON2_MEMORY_KIB", 65_536),
            "key_wrap_ops_limit": _int(env, "KEY_WRAP_OPS_LIMIT", 2),
            "key_wrap_memory_kib": _int(env, "KEY_WRAP_MEMORY_KIB", 65_536),
            "password_hash_concurrency": _int(env, "PASSWORD_HASH_CONCURRENCY", 2),
            "register_max_per_address_per_hour": _int(env, "REGISTER_MAX_PER_ADDRESS_PER_HOUR", 5),
            "public_url": env.get("PUBLIC_URL") or None,
            "serve_frontend": _bool(env, "SERVE_FRONTEND", True),
            "hsts": _bool(env, "HSTS", False),
            "api_docs": _bool(env, "API_DOCS", False),
            "frontend_dir": Path(env["FRONTEND_DIR"]).resolve()
            if env.get("FRONTEND_DIR")
            else None,
            "housekeeping": _bool(env, "HOUSEKEEPING", True),
            "dispatcher": _bool(env, "DISPATCHER", True),
            "dispatch_interval_seconds": float(env.get("DISPATCH_INTERVAL_SECONDS") or 15),
            "vapid_private_key": env.get("VAPID_PRIVATE_KEY") or None,
            "vapid_subject": env.get("VAPID_SUBJECT") or "mailto:admin@localhost",
            "push_allow_insecure_endpoints": _bool(env, "PUSH_ALLOW_INSECURE_ENDPOINTS", False),
            "live_heartbeat_seconds": float(env.get("LIVE_HEARTBEAT_SECONDS") or 15),
            "live_max_streams_per_user": _int(env, "LIVE_MAX_STREAMS_PER_USER", 8),
        }
        values.update(overrides)
        return cls(**values)  # type: ignore[arg-type]
