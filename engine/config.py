"""One typed settings object, built once from the environment and injected everywhere."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = f"sqlite:///{REPO_ROOT / 'instance' / 'caseway.sqlite3'}"


@dataclass(frozen=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    forms_dir: Path = REPO_ROOT / "forms"
    workflows_dir: Path = REPO_ROOT / "workflows"
    secret_key: str = "dev-only-change-me"
    token_ttl_days: int = 90
    scheduler_enabled: bool = True
    scheduler_interval_seconds: float = 1.0
    max_upload_bytes: int = 5 * 1024 * 1024
    default_timezone: str = "America/Toronto"
    calendar_config: Path | None = None
    standards_config: Path | None = None
    script_time_limit: float = 2.0
    # Active cases per caseworker before the caseload view flags them (local policy).
    caseload_target: int = 60
    extra: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read CASEWAY_* variables (and DATABASE_URL) once, at startup."""
        env = os.environ if environ is None else environ
        base = cls()
        calendar = env.get("CASEWAY_CALENDAR_CONFIG")
        standards = env.get("CASEWAY_STANDARDS_CONFIG")
        return replace(
            base,
            database_url=env.get("DATABASE_URL")
            or env.get("CASEWAY_DATABASE_URL")
            or base.database_url,
            forms_dir=Path(env.get("CASEWAY_FORMS_DIR", base.forms_dir)),
            workflows_dir=Path(env.get("CASEWAY_WORKFLOWS_DIR", base.workflows_dir)),
            secret_key=env.get("CASEWAY_SECRET_KEY", base.secret_key),
            token_ttl_days=int(env.get("CASEWAY_TOKEN_TTL_DAYS", base.token_ttl_days)),
            scheduler_enabled=_flag(env.get("CASEWAY_SCHEDULER"), base.scheduler_enabled),
            max_upload_bytes=int(env.get("CASEWAY_MAX_UPLOAD_BYTES", base.max_upload_bytes)),
            default_timezone=env.get("CASEWAY_TIMEZONE", base.default_timezone),
            calendar_config=Path(calendar) if calendar else None,
            standards_config=Path(standards) if standards else None,
            caseload_target=int(env.get("CASEWAY_CASELOAD_TARGET", base.caseload_target)),
        )

    def with_overrides(self, overrides: Mapping[str, Any]) -> Settings:
        return replace(self, **dict(overrides))


def _flag(value: str | None, default: bool) -> bool:
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}
