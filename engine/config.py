"""One typed settings object, built once from the environment and injected everywhere."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = f"sqlite:///{REPO_ROOT / 'instance' / 'caseway.sqlite3'}"


@dataclass(frozen=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    forms_dir: Path = REPO_ROOT / "forms"
    workflows_dir: Path = REPO_ROOT / "workflows"
    secret_key: str = "dev-only-change-me"
    token_ttl_days: int = 90
    # How long a process may trust a token it looked up: the revocation window (token_cache).
    auth_cache_seconds: float = 5.0
    # Behind PgBouncer in transaction mode: no server-side prepared statements and no startup
    # options (docs/deployment.md sets the timeouts on the database or role instead).
    db_transaction_pooler: bool = False
    scheduler_enabled: bool = True
    scheduler_interval_seconds: float = 1.0
    max_upload_bytes: int = 5 * 1024 * 1024
    # Case attachments: kept in the database unless a directory is configured.
    attachments_dir: Path | None = None
    default_timezone: str = "America/Toronto"
    calendar_config: Path | None = None
    standards_config: Path | None = None
    # Scripts and expressions run in sandbox processes (docs/scripting.md): seconds each may run,
    # the address space of each process, and how many processes each server process keeps.
    script_time_limit: float = 2.0
    script_memory_mb: int = 256
    sandbox_workers: int = 2
    # Active cases per caseworker before the caseload view flags them (local policy).
    caseload_target: int = 60
    # Sign-in through an OpenID Connect provider beside local passwords; None: off.
    oidc: OidcSettings | None = None
    # Delivery (engine/delivery, docs/notices.md). No SMTP URL: email rows wait as no_channel.
    smtp: SmtpSettings | None = None
    mail_from: str = "Caseway <caseway@localhost>"
    sms: SmsSettings | None = None
    notices_dir: Path = REPO_ROOT / "notices"
    offices_config: Path | None = None
    # Encrypts partner webhook secrets at rest; None: derived from secret_key.
    partner_secret_key: str | None = None
    outbox_max_attempts: int = 8
    outbox_lease_seconds: float = 300.0
    outbox_batch_size: int = 50
    webhook_timeout_seconds: float = 10.0
    # PostgreSQL: how long a command waits for a row lock before answering 409 with Retry-After,
    # and how long a session may sit idle inside a transaction before the server ends it (a
    # stuck process cannot hold a case). Milliseconds; 0 turns either off.
    db_lock_timeout_ms: int = 5000
    db_idle_in_transaction_timeout_ms: int = 60000
    # Served over HTTPS: session cookies only over HTTPS, and HSTS on every answer.
    secure_cookies: bool = False
    # The longest text one field of a request may carry (JSON strings, form fields).
    max_text_chars: int = 64 * 1024
    # Where clients reach this server: self-service links in notices start with it.
    public_url: str = "http://127.0.0.1:5000"
    # How long a client's self-service link works (engine/cases/client_links.py).
    client_link_days: int = 14
    # Where a deployed user task with no routing at all goes (docs/bpmn.md), and whether
    # bpmn:manualTask passes straight through ("pass") or opens a checklist task ("checklist").
    default_queue: str = "triage"
    manual_tasks: str = "pass"
    extra: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read CASEWAY_* variables (and DATABASE_URL) once, at startup."""
        env = os.environ if environ is None else environ
        base = cls()
        calendar = env.get("CASEWAY_CALENDAR_CONFIG")
        standards = env.get("CASEWAY_STANDARDS_CONFIG")
        attachments = env.get("CASEWAY_ATTACHMENTS_DIR")
        offices = env.get("CASEWAY_OFFICES_CONFIG")
        return replace(
            base,
            database_url=env.get("DATABASE_URL")
            or env.get("CASEWAY_DATABASE_URL")
            or base.database_url,
            forms_dir=Path(env.get("CASEWAY_FORMS_DIR", base.forms_dir)),
            workflows_dir=Path(env.get("CASEWAY_WORKFLOWS_DIR", base.workflows_dir)),
            secret_key=env.get("CASEWAY_SECRET_KEY", base.secret_key),
            public_url=env.get("CASEWAY_PUBLIC_URL", base.public_url).rstrip("/"),
            client_link_days=int(env.get("CASEWAY_CLIENT_LINK_DAYS", base.client_link_days)),
            token_ttl_days=int(env.get("CASEWAY_TOKEN_TTL_DAYS", base.token_ttl_days)),
            auth_cache_seconds=float(
                env.get("CASEWAY_AUTH_CACHE_SECONDS", base.auth_cache_seconds)
            ),
            db_transaction_pooler=_flag(
                env.get("CASEWAY_DB_TRANSACTION_POOLER"), base.db_transaction_pooler
            ),
            scheduler_enabled=_flag(env.get("CASEWAY_SCHEDULER"), base.scheduler_enabled),
            max_upload_bytes=int(env.get("CASEWAY_MAX_UPLOAD_BYTES", base.max_upload_bytes)),
            attachments_dir=Path(attachments) if attachments else None,
            default_timezone=env.get("CASEWAY_TIMEZONE", base.default_timezone),
            calendar_config=Path(calendar) if calendar else None,
            standards_config=Path(standards) if standards else None,
            script_time_limit=float(env.get("CASEWAY_SCRIPT_TIME_LIMIT", base.script_time_limit)),
            script_memory_mb=int(env.get("CASEWAY_SCRIPT_MEMORY_MB", base.script_memory_mb)),
            sandbox_workers=int(env.get("CASEWAY_SANDBOX_WORKERS", base.sandbox_workers)),
            caseload_target=int(env.get("CASEWAY_CASELOAD_TARGET", base.caseload_target)),
            oidc=OidcSettings.from_env(env),
            smtp=SmtpSettings.from_url(env.get("CASEWAY_SMTP_URL", "")),
            mail_from=env.get("CASEWAY_MAIL_FROM") or base.mail_from,
            sms=SmsSettings.from_env(env),
            notices_dir=Path(env.get("CASEWAY_NOTICES_DIR", base.notices_dir)),
            offices_config=Path(offices) if offices else None,
            default_queue=env.get("CASEWAY_DEFAULT_QUEUE") or base.default_queue,
            manual_tasks=env.get("CASEWAY_MANUAL_TASKS") or base.manual_tasks,
            partner_secret_key=env.get("CASEWAY_PARTNER_SECRET_KEY") or None,
            outbox_max_attempts=int(
                env.get("CASEWAY_OUTBOX_MAX_ATTEMPTS", base.outbox_max_attempts)
            ),
            outbox_lease_seconds=float(
                env.get("CASEWAY_OUTBOX_LEASE_SECONDS", base.outbox_lease_seconds)
            ),
            db_lock_timeout_ms=int(env.get("CASEWAY_DB_LOCK_TIMEOUT_MS", base.db_lock_timeout_ms)),
            db_idle_in_transaction_timeout_ms=int(
                env.get(
                    "CASEWAY_DB_IDLE_IN_TRANSACTION_TIMEOUT_MS",
                    base.db_idle_in_transaction_timeout_ms,
                )
            ),
            secure_cookies=_flag(env.get("CASEWAY_SECURE_COOKIES"), base.secure_cookies),
            max_text_chars=int(env.get("CASEWAY_MAX_TEXT_CHARS", base.max_text_chars)),
        )

    def with_overrides(self, overrides: Mapping[str, Any]) -> Settings:
        return replace(self, **dict(overrides))


SMTP_SCHEMES = {"smtp": 25, "smtp+starttls": 587, "smtps": 465}


@dataclass(frozen=True)
class SmtpSettings:
    """Where email goes: `smtp://host:port`, `smtp+starttls://user:pass@host:587` or
    `smtps://user:pass@host:465` (implicit TLS)."""

    scheme: str
    host: str
    port: int
    username: str | None = None
    password: str | None = None

    @classmethod
    def from_url(cls, url: str) -> SmtpSettings | None:
        """None for an empty URL; a malformed one stops start-up (ValueError) with the reason."""
        if not url.strip():
            return None
        problem = (
            f"CASEWAY_SMTP_URL {_redacted(url)!r} is not smtp://host:port, "
            "smtp+starttls://user:pass@host:port or smtps://user:pass@host:port"
        )
        try:
            parts = urlsplit(url.strip())
            port = parts.port
        except ValueError as exc:
            raise ValueError(problem) from exc
        if parts.scheme not in SMTP_SCHEMES or not parts.hostname:
            raise ValueError(problem)
        if parts.path not in ("", "/") or parts.query or parts.fragment:
            raise ValueError(problem)
        if (parts.username is None) != (parts.password is None):
            raise ValueError(problem + " (give both user and password, or neither)")
        return cls(
            scheme=parts.scheme,
            host=parts.hostname,
            port=port or SMTP_SCHEMES[parts.scheme],
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
        )


@dataclass(frozen=True)
class SmsSettings:
    """A Twilio-compatible SMS endpoint: form post of To, From, Body with basic auth."""

    url: str
    sender: str
    username: str | None = None
    password: str | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> SmsSettings | None:
        url = env.get("CASEWAY_SMS_URL", "").strip()
        if not url:
            return None
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"CASEWAY_SMS_URL {_redacted(url)!r} is not an http(s) URL")
        sender = env.get("CASEWAY_SMS_FROM", "").strip()
        if not sender:
            raise ValueError("CASEWAY_SMS_URL is set: set CASEWAY_SMS_FROM too")
        return cls(
            url=url,
            sender=sender,
            username=env.get("CASEWAY_SMS_USER") or None,
            password=env.get("CASEWAY_SMS_PASSWORD") or None,
        )


def _redacted(url: str) -> str:
    """The URL without its password, for error messages."""
    head, sep, tail = url.partition("@")
    if not sep or "://" not in head:
        return url
    scheme, _, userinfo = head.partition("://")
    user, colon, _password = userinfo.partition(":")
    return f"{scheme}://{user}{':***' if colon else ''}@{tail}"


@dataclass(frozen=True)
class OidcSettings:
    """Where the provider is, who Caseway is to it, and how its claims become a Caseway user."""

    issuer: str  # exactly as the provider writes it in its tokens (`iss`)
    client_id: str
    client_secret: str | None = None  # None: a public client (PKCE only)
    scopes: tuple[str, ...] = ("openid", "profile")
    provider_name: str = "OpenID Connect"  # shown on the login button
    username_claim: str = "preferred_username"  # `sub` when the token lacks it
    office_claim: str = "caseway_office"
    roles_claim: str = "caseway_roles"
    # Provider group -> Caseway role keys. Empty: the roles claim holds role keys itself.
    role_map: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    create_users: bool = True  # just-in-time accounts; False: only existing local users
    # First sign-in of an identity may bind to an unbound local account of the same username
    # (pre-provisioned staff). Off: only `caseway users link` binds existing accounts.
    link_by_username: bool = False
    redirect_uri: str | None = None  # None: this site's /login/oidc/callback

    @property
    def metadata_url(self) -> str:
        return self.issuer.rstrip("/") + "/.well-known/openid-configuration"

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> OidcSettings | None:
        """None unless CASEWAY_OIDC_ISSUER is set."""
        issuer = env.get("CASEWAY_OIDC_ISSUER", "").strip()
        if not issuer:
            return None
        client_id = env.get("CASEWAY_OIDC_CLIENT_ID", "").strip()
        if not client_id:
            raise ValueError("CASEWAY_OIDC_ISSUER is set: set CASEWAY_OIDC_CLIENT_ID too")
        base = cls(issuer=issuer, client_id=client_id)
        scopes = env.get("CASEWAY_OIDC_SCOPES", "").split() or list(base.scopes)
        return replace(
            base,
            client_secret=env.get("CASEWAY_OIDC_CLIENT_SECRET") or None,
            # The ID token, and with it the nonce check, only comes with `openid`.
            scopes=("openid", *(s for s in scopes if s != "openid")),
            provider_name=env.get("CASEWAY_OIDC_PROVIDER_NAME") or base.provider_name,
            username_claim=env.get("CASEWAY_OIDC_USERNAME_CLAIM") or base.username_claim,
            office_claim=env.get("CASEWAY_OIDC_OFFICE_CLAIM") or base.office_claim,
            roles_claim=env.get("CASEWAY_OIDC_ROLES_CLAIM") or base.roles_claim,
            role_map=_role_map(env.get("CASEWAY_OIDC_ROLE_MAP")),
            create_users=_flag(env.get("CASEWAY_OIDC_CREATE_USERS"), base.create_users),
            link_by_username=_flag(env.get("CASEWAY_OIDC_LINK_BY_USERNAME"), base.link_by_username),
            redirect_uri=env.get("CASEWAY_OIDC_REDIRECT_URI") or None,
        )


def _role_map(text: str | None) -> dict[str, tuple[str, ...]]:
    """A JSON object: provider group -> a role key or a list of role keys."""
    if not text:
        return {}
    problem = "CASEWAY_OIDC_ROLE_MAP must be a JSON object of group -> role or [roles]"
    try:
        loaded = json.loads(text)
    except ValueError as exc:
        raise ValueError(problem) from exc
    if not isinstance(loaded, dict):
        raise ValueError(problem)
    out: dict[str, tuple[str, ...]] = {}
    for group, roles in loaded.items():
        listed = [roles] if isinstance(roles, str) else roles
        if not isinstance(listed, list) or not all(isinstance(r, str) for r in listed):
            raise ValueError(problem)
        out[group] = tuple(listed)
    return out


def _flag(value: str | None, default: bool) -> bool:
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}
