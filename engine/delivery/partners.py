"""The partner directory: per office, who a partner key is and how referrals reach it.

Supervisors keep their office's directory, admins every office's. A new partner's webhook
secret is generated unless given, and shown once (the answer to the create or the rotation);
it is stored sealed (secrets.py).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine import policy
from engine.audit import record
from engine.delivery.secrets import SecretBox, new_secret
from engine.errors import Forbidden, Invalid, PartnerKeyTaken, PartnerNotFound
from engine.identity.users import SYSTEM, Principal, add_user
from engine.store.models import Partner, User

EDITABLE = ("name", "services", "languages", "webhook_url", "contact_email", "active")

# The demo directory (`caseway seed-demo`): the partner keys the shipped forms offer.
DEMO_PARTNERS: dict[str, tuple[str, list[str]]] = {
    "housing_services": ("Housing services", ["housing"]),
    "childrens_services": ("Children's services", ["childcare", "safety"]),
    "mental_health": ("Mental health and addictions services", ["health", "addictions"]),
    "family_support": ("Family Support and financial empowerment", ["financial_empowerment"]),
    "employment_ontario": ("Employment Ontario", ["employment_readiness"]),
    "legal_clinic": ("Community legal clinic", ["legal"]),
    "food_bank": ("Food bank", ["food_security"]),
    "vaw_services": ("Violence against women services", ["safety"]),
}


@dataclass(frozen=True)
class Saved:
    partner: Partner
    secret: str | None  # only when just made: shown once


def may_manage(principal: Principal, office: str) -> None:
    """Supervisors manage their office's directory, admins all; others are refused."""
    if policy.is_admin(principal):
        return
    if principal.office != office:
        raise PartnerNotFound("no such partner in your office")
    if not policy.may(principal, policy.Action.MANAGE_DELIVERY):
        raise Forbidden("only supervisors and admins keep the partner directory")


def list_partners(
    session: Session, principal: Principal, office: str | None, limit: int, offset: int
) -> tuple[list[Partner], int]:
    if not policy.may(principal, policy.Action.MANAGE_DELIVERY):
        raise Forbidden("only supervisors and admins keep the partner directory")
    query = select(Partner)
    if not policy.is_admin(principal):
        query = query.where(Partner.office == principal.office)
    elif office:
        query = query.where(Partner.office == office)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(Partner.office, Partner.name).limit(limit).offset(offset))
    return list(rows), total


def get_partner(session: Session, principal: Principal, partner_id: int) -> Partner:
    partner = session.get(Partner, partner_id)
    if partner is None:
        raise PartnerNotFound(f"no partner {partner_id}")
    may_manage(principal, partner.office)
    return partner


def create_partner(
    session: Session,
    principal: Principal,
    fields: Mapping[str, Any],
    box: SecretBox,
    now: datetime,
) -> Saved:
    office = fields.get("office") or principal.office
    may_manage(principal, office)
    if find_partner(session, office, fields["key"], active_only=False) is not None:
        raise PartnerKeyTaken(f"office {office} already has a partner {fields['key']!r}")
    secret = fields.get("secret") or new_secret()
    partner = Partner(
        office=office,
        key=fields["key"],
        secret_encrypted=box.seal(secret),
        created_at=now,
        updated_at=now,
        name="",
        services_json="[]",
        languages_json='["en"]',
        active=True,
    )
    _apply(partner, fields)
    partner.user_id = _account(session, fields.get("account"))
    session.add(partner)
    session.flush()
    record(session, at=now, actor=principal.username, action="partner.create", partner=partner.id)
    return Saved(partner, None if fields.get("secret") else secret)


def update_partner(
    session: Session,
    principal: Principal,
    partner_id: int,
    fields: Mapping[str, Any],
    box: SecretBox,
    now: datetime,
) -> Saved:
    partner = get_partner(session, principal, partner_id)
    _apply(partner, fields)
    if "account" in fields:
        partner.user_id = _account(session, fields["account"])
    secret = None
    if fields.get("rotate_secret"):
        secret = new_secret()
        partner.secret_encrypted = box.seal(secret)
    partner.updated_at = now
    changed = sorted(k for k in fields if k in (*EDITABLE, "account", "rotate_secret"))
    record(
        session,
        at=now,
        actor=principal.username,
        action="partner.update",
        partner=partner.id,
        changed=changed,
    )
    return Saved(partner, secret)


def find_partner(
    session: Session, office: str, key: str, *, active_only: bool = True
) -> Partner | None:
    query = select(Partner).where(Partner.office == office, Partner.key == key)
    if active_only:
        query = query.where(Partner.active.is_(True))
    return session.scalar(query)


def services_of(partner: Partner) -> list[str]:
    return list(json.loads(partner.services_json or "[]"))


def languages_of(partner: Partner) -> list[str]:
    return list(json.loads(partner.languages_json or "[]")) or ["en"]


def partner_dict(session: Session, partner: Partner, secret: str | None = None) -> dict:
    account = session.get(User, partner.user_id) if partner.user_id else None
    out = {
        "id": partner.id,
        "office": partner.office,
        "key": partner.key,
        "name": partner.name,
        "services": services_of(partner),
        "languages": languages_of(partner),
        "webhook_url": partner.webhook_url,
        "contact_email": partner.contact_email,
        "account": account.username if account else None,
        "active": partner.active,
        "created_at": partner.created_at,
        "updated_at": partner.updated_at,
    }
    if secret is not None:
        out["secret"] = secret
    return out


def _apply(partner: Partner, fields: Mapping[str, Any]) -> None:
    if "name" in fields:
        partner.name = fields["name"]
    if "services" in fields:
        partner.services_json = json.dumps(sorted(set(fields["services"])))
    if "languages" in fields:
        partner.languages_json = json.dumps(list(dict.fromkeys(fields["languages"])))
    for name in ("webhook_url", "contact_email"):
        if name in fields:
            setattr(partner, name, fields[name] or None)
    if "active" in fields:
        partner.active = bool(fields["active"])


def _account(session: Session, username: str | None) -> int | None:
    """The partner organization's API account (role `partner`) that posts its answers."""
    if not username:
        return None
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise Invalid(f"no user {username!r}", field="account")
    return user.id


DEMO_PARTNER_ACCOUNT = ("housing_org", "sudbury", "housing_services")


def seed_demo_partners(
    session: Session, offices: tuple[str, ...], box: SecretBox, now: datetime
) -> int:
    """The demo directory: every partner key the shipped forms offer, in each office, reached
    by email (no webhook); the demo partner account `housing_org` is Sudbury's housing
    services. Existing entries are left alone."""
    account = session.scalar(select(User).where(User.username == DEMO_PARTNER_ACCOUNT[0]))
    if account is None:
        account = add_user(
            session, DEMO_PARTNER_ACCOUNT[0], office="partners", roles=["partner"], now=now
        )
    added = 0
    for office in offices:
        for key, (name, services) in DEMO_PARTNERS.items():
            if find_partner(session, office, key, active_only=False) is not None:
                continue
            fields = {
                "key": key,
                "office": office,
                "name": name,
                "services": services,
                "languages": ["en", "fr"],
                "contact_email": f"{key}@{office}.partners.example",
            }
            if (office, key) == DEMO_PARTNER_ACCOUNT[1:]:
                fields["account"] = account.username
            create_partner(session, SYSTEM, fields, box, now)
            added += 1
    return added
