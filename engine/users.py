"""Staff accounts, roles and API tokens (stored hashed; revocable; expiring)."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.store.models import ApiToken, User, UserRole

ROLES = ("designer", "intake_worker", "caseworker", "supervisor", "admin", "partner", "system")
WORKER_ROLES = frozenset({"intake_worker", "caseworker", "supervisor", "admin"})
TOKEN_PREFIX = "cw_"


class UserProblem(ValueError):
    """Bad user input (unknown role, duplicate username, unknown user)."""


@dataclass(frozen=True)
class Principal:
    """Who is acting; passed down explicitly, never read from a global."""

    username: str
    office: str
    roles: frozenset[str]

    def has(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))

    @property
    def is_admin(self) -> bool:
        return "admin" in self.roles

    @property
    def is_partner_only(self) -> bool:
        """A partner organization's token: it may post messages and nothing else."""
        return "partner" in self.roles and not self.roles & (WORKER_ROLES | {"designer"})

    def with_name(self, username: str) -> Principal:
        return Principal(username, self.office, self.roles)


SYSTEM = Principal("system", "*", frozenset({"system", "admin"}))


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
    roles = session.scalars(select(UserRole.role).where(UserRole.user_id == user.id)).all()
    return Principal(user.username, user.office, frozenset(roles))


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


def authenticate(session: Session, token: str, *, now: datetime) -> Principal | None:
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == _hash(token)))
    if row is None or row.revoked_at is not None or row.expires_at <= now:
        return None
    user = session.get(User, row.user_id)
    if user is None or not user.active:
        return None
    return principal_for(session, user.username)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
