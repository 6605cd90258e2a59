"""Staff who sign in through an identity provider: its claims become a local Caseway user.

The provider is trusted for who the person is, which office they work in and which roles they
hold. On every sign-in the local row takes the office, display name and roles the claims give
(roles are replaced, never merged), inside the caller's transaction and audited. A locally
deactivated account stays shut whatever the provider says.

An identity is the provider's issuer + subject, never the username it shows: where people can
choose their username at the provider, a username match would hand over someone else's
account. The first sign-in binds the identity to a new account, or to an existing unbound one
only when the provider's settings allow matching by username (off by default) or an admin bound
it beforehand (`caseway users link`). Later sign-ins find the account by issuer + subject only.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from engine.audit import record
from engine.config import OidcSettings
from engine.identity.queue_grants import granted_queues
from engine.identity.users import Principal, add_user
from engine.policy import STAFF_ROLES
from engine.store.models import ExternalIdentity as IdentityLink
from engine.store.models import User, UserRole

USERNAME = re.compile(r"[A-Za-z0-9._]{1,80}")  # what engine.identity.users.add_user accepts
MAX_OFFICE = 80


class SignInRefused(Exception):  # noqa: N818 - a refusal, answered with the login page
    """The claims, or the local account, do not allow this sign-in.

    `reason` is one of: no_username, bad_username, no_office, no_role, unknown_user, inactive,
    username_taken (a local account of that name exists and is not bound to this identity).
    """

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason


@dataclass(frozen=True)
class ExternalIdentity:
    """Who the provider says is signing in, already in Caseway's terms."""

    issuer: str
    subject: str
    username: str
    office: str
    roles: frozenset[str]
    display_name: str | None = None


def check_rules(rules: OidcSettings) -> None:
    """Refuse at start-up a role map that names roles Caseway does not have."""
    unknown = sorted({r for roles in rules.role_map.values() for r in roles} - STAFF_ROLES)
    if unknown:
        known = ", ".join(sorted(STAFF_ROLES))
        raise ValueError(f"role map names unknown role(s) {', '.join(unknown)} (known: {known})")
    if "openid" not in rules.scopes:
        raise ValueError("the OpenID Connect scopes must include `openid`")


def identity_from_claims(claims: Mapping[str, Any], rules: OidcSettings) -> ExternalIdentity:
    """Map verified ID-token claims to an identity; unknown roles are ignored."""
    subject = claims.get("sub")
    if not isinstance(subject, str) or not subject:
        raise SignInRefused("no_username", "the token has no subject")
    username = _text(claims, rules.username_claim) or subject
    if not USERNAME.fullmatch(username):
        raise SignInRefused("bad_username", username)
    office = _text(claims, rules.office_claim)
    if not office or len(office) > MAX_OFFICE:
        raise SignInRefused("no_office", rules.office_claim)
    roles = granted_roles(claim(claims, rules.roles_claim), rules.role_map)
    if not roles:
        raise SignInRefused("no_role", rules.roles_claim)
    issuer = str(claims.get("iss", rules.issuer))
    return ExternalIdentity(issuer, subject, username, office, roles, _text(claims, "name"))


def granted_roles(value: Any, role_map: Mapping[str, tuple[str, ...]]) -> frozenset[str]:
    """The Caseway roles a roles claim grants.

    With a map, only mapped groups count (a group that happens to be called `admin` in another
    system grants nothing); without one, the claim's values are role keys themselves.
    """
    names = [value] if isinstance(value, str) else value if isinstance(value, list) else []
    names = [name for name in names if isinstance(name, str)]
    if role_map:
        return frozenset(r for name in names for r in role_map.get(name, ())) & STAFF_ROLES
    return frozenset(names) & STAFF_ROLES


def claim(claims: Mapping[str, Any], name: str) -> Any:
    """A claim by name, or by a dotted path into nested objects (`realm_access.roles`)."""
    if name in claims:
        return claims[name]
    node: Any = claims
    for part in name.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return None
        node = node[part]
    return node


def provision(
    session: Session,
    identity: ExternalIdentity,
    *,
    create: bool,
    now: datetime,
    link_by_username: bool = False,
) -> Principal:
    """The local user this identity is bound to, created or bound on first sign-in, updated
    from the claims; in the caller's transaction."""
    link = session.get(IdentityLink, (identity.issuer, identity.subject), with_for_update=True)
    if link is not None:
        user = session.get_one(User, link.user_id, with_for_update=True)
    else:
        user = _first_sign_in(session, identity, create, link_by_username, now)
    if not user.active:
        raise SignInRefused("inactive", user.username)
    _update(session, user, identity, now)
    queues = granted_queues(session, user.username, identity.office, identity.roles)
    return Principal(user.username, identity.office, identity.roles, queues)


def _first_sign_in(
    session: Session, identity: ExternalIdentity, create: bool, by_username: bool, now: datetime
) -> User:
    user = session.scalar(select(User).where(User.username == identity.username).with_for_update())
    if user is None:
        if not create:
            raise SignInRefused("unknown_user", identity.username)
        user = _create(session, identity, now)
    elif not by_username or _is_bound(session, user):
        raise SignInRefused("username_taken", identity.username)
    bind(session, user, identity.issuer, identity.subject, now=now, by=identity.username)
    return user


def _is_bound(session: Session, user: User) -> bool:
    return (
        session.scalar(select(IdentityLink.subject).where(IdentityLink.user_id == user.id))
        is not None
    )


def bind(
    session: Session, user: User, issuer: str, subject: str, *, now: datetime, by: str
) -> None:
    """Bind a provider identity to a local account (first sign-in, or an admin's link)."""
    session.add(
        IdentityLink(issuer=issuer, subject=subject, user_id=user.id, linked_at=now, linked_by=by)
    )
    record(
        session,
        at=now,
        actor=by,
        action="user.link",
        user=user.username,
        issuer=issuer,
        subject=subject,
    )


def _create(session: Session, identity: ExternalIdentity, now: datetime) -> User:
    add_user(
        session,
        identity.username,
        office=identity.office,
        roles=identity.roles,
        now=now,
        display_name=identity.display_name,
    )
    record(
        session,
        at=now,
        actor=identity.username,
        action="user.create",
        source="oidc",
        issuer=identity.issuer,
        subject=identity.subject,
        office=identity.office,
        roles=sorted(identity.roles),
    )
    return session.scalars(select(User).where(User.username == identity.username)).one()


def _update(session: Session, user: User, identity: ExternalIdentity, now: datetime) -> None:
    held = set(session.scalars(select(UserRole.role).where(UserRole.user_id == user.id)))
    changes: dict[str, Any] = {}
    if user.office != identity.office:
        changes["office"] = {"from": user.office, "to": identity.office}
        user.office = identity.office
    if identity.display_name and user.display_name != identity.display_name:
        changes["display_name"] = {"from": user.display_name, "to": identity.display_name}
        user.display_name = identity.display_name
    removed, added = held - identity.roles, identity.roles - held
    if removed:
        session.execute(
            delete(UserRole).where(UserRole.user_id == user.id, UserRole.role.in_(removed))
        )
    session.add_all(UserRole(user_id=user.id, role=role) for role in sorted(added))
    if removed or added:
        changes["roles"] = {"added": sorted(added), "removed": sorted(removed)}
    if changes:
        record(
            session,
            at=now,
            actor=user.username,
            action="user.update",
            source="oidc",
            issuer=identity.issuer,
            subject=identity.subject,
            **changes,
        )


def _text(claims: Mapping[str, Any], name: str) -> str | None:
    value = claim(claims, name)
    return (value.strip() or None) if isinstance(value, str) else None
