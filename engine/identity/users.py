"""Staff accounts, roles and API tokens (stored hashed; revocable; expiring)."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from engine.errors import UserProblem
from engine.identity.queue_grants import granted_queues
from engine.policy import ROLES, Role
from engine.store.models import ApiToken, User, UserRole

TOKEN_PREFIX = "cw_"
MIN_PASSWORD_LENGTH = 8


@dataclass(frozen=True)
class Principal:
    """Who is acting; passed down explicitly, never read from a global. What the roles allow
    is engine.policy's to say."""

    username: str
    office: str
    roles: frozenset[str]
    # Queues held through the queue table (a queue row naming one of the roles or the person),
    # beyond each role's own queue; filled in when the principal is authenticated.
    queues: frozenset[str] = frozenset()

    def with_name(self, username: str) -> Principal:
        return Principal(username, self.office, self.roles, self.queues)


SYSTEM = Principal("system", "*", frozenset({Role.SYSTEM.value, Role.ADMIN.value}))


def add_user(
    session: Session,
    username: str,
    *,
    office: str,
    roles: Iterable[str],
    now: datetime,
    display_name: str | None = None,
) -> User:
    roles = sorted(set(roles))
    unknown = [r for r in roles if r not in ROLES]
    if unknown:
        raise UserProblem(f"unknown role(s): {', '.join(unknown)} (known: {', '.join(ROLES)})")
    if not username or not username.replace("_", "").replace(".", "").isalnum():
        raise UserProblem("username must be letters, digits, '.' or '_'")
    if session.scalar(select(User).where(User.username == username)) is not None:
        raise UserProblem(f"user {username!r} already exists")
    user = User(
        username=username,
        display_name=display_name or username,
        office=office,
        active=True,
        created_at=now,
    )
    session.add(user)
    session.flush()
    session.add_all(UserRole(user_id=user.id, role=role) for role in roles)
    return user


def principal_for(session: Session, username: str) -> Principal | None:
    user = session.scalar(select(User).where(User.username == username, User.active.is_(True)))
    if user is None:
        return None
    roles = frozenset(
        session.scalars(select(UserRole.role).where(UserRole.user_id == user.id)).all()
    )
    queues = granted_queues(session, user.username, user.office, roles)
    return Principal(user.username, user.office, roles, queues)


def list_users(session: Session) -> list[tuple[User, list[str]]]:
    users = session.scalars(select(User).order_by(User.username)).all()
    out = []
    for user in users:
        roles = session.scalars(select(UserRole.role).where(UserRole.user_id == user.id)).all()
        out.append((user, sorted(roles)))
    return out


def issue_token(session: Session, username: str, *, now: datetime, ttl: timedelta) -> str:
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise UserProblem(f"no user {username!r}")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    session.add(
        ApiToken(user_id=user.id, token_hash=_hash(token), created_at=now, expires_at=now + ttl)
    )
    return token


def revoke_tokens(session: Session, username: str, *, now: datetime) -> int:
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise UserProblem(f"no user {username!r}")
    tokens = session.scalars(
        select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
    ).all()
    for token in tokens:
        token.revoked_at = now
    return len(tokens)


# Built once: composing a joined select costs more CPU than running it, and this one runs on
# every API request.
_TOKEN_PRINCIPAL = (
    select(User.username, User.office, UserRole.role, ApiToken.expires_at)
    .join(ApiToken, ApiToken.user_id == User.id)
    .outerjoin(UserRole, UserRole.user_id == User.id)
    .where(
        ApiToken.token_hash == bindparam("token_hash"),
        ApiToken.revoked_at.is_(None),
        ApiToken.expires_at > bindparam("now"),
        User.active.is_(True),
    )
)


def authenticate(session: Session, token: str, *, now: datetime) -> Principal | None:
    """One round trip: this runs on every API request (see token_cache for the cached way)."""
    found = token_principal(session, token_hash(token), now=now)
    return found[0] if found else None


def token_principal(
    session: Session, hashed: str, *, now: datetime
) -> tuple[Principal, datetime] | None:
    """The principal of a valid token (by hash) and when the token expires."""
    rows = session.execute(_TOKEN_PRINCIPAL, {"token_hash": hashed, "now": now}).all()
    if not rows:
        return None
    roles = frozenset(row.role for row in rows if row.role is not None)
    username, office = rows[0].username, rows[0].office
    queues = granted_queues(session, username, office, roles)
    return Principal(username, office, roles, queues), rows[0].expires_at


def token_hash(token: str) -> str:
    return _hash(token)


def set_password(
    session: Session, username: str, password: str, *, method: str | None = None
) -> None:
    """Store a salted, slow hash (werkzeug's default: scrypt) for the web login.

    `method` exists for tests, which may choose a cheaper werkzeug method; never weaken it in
    production code.
    """
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UserProblem(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise UserProblem(f"no user {username!r}")
    user.password_hash = (
        generate_password_hash(password, method=method)
        if method
        else generate_password_hash(password)
    )


def has_password(session: Session, username: str) -> bool:
    user = session.scalar(select(User).where(User.username == username))
    return user is not None and user.password_hash is not None


def verify_password(session: Session, username: str, password: str) -> Principal | None:
    """The principal when the password matches an active user's; None otherwise.

    Unknown users, inactive users and users without a password cost the same hash check, so the
    answer time does not tell which usernames exist.
    """
    user = session.scalar(select(User).where(User.username == username))
    stored = user.password_hash if user is not None and user.active else None
    matches = check_password_hash(stored or _dummy_hash(), password)
    if user is None or stored is None or not matches:
        return None
    return principal_for(session, user.username)


_DUMMY: list[str] = []


def _dummy_hash() -> str:
    if not _DUMMY:
        _DUMMY.append(generate_password_hash(secrets.token_urlsafe(16)))
    return _DUMMY[0]


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
