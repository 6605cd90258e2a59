"""Least privilege on PostgreSQL: the role the application runs as owns nothing.

Migrations run as the owner role (the one in DATABASE_URL for `caseway db upgrade`); the
application connects as a second role that may read and write the working tables but only
INSERT and SELECT the audit trail. Not owning the tables, it can neither drop nor disable the
append-only triggers, nor TRUNCATE anything.
"""

from __future__ import annotations

import re

from sqlalchemy import Connection, text

from engine.store.models import Base

AUDIT_TABLE = "audit_event"
_ROLE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def grant_statements(role: str) -> list[str]:
    """The GRANTs that make `role` the application's role (idempotent; run as the owner)."""
    if not _ROLE_NAME.match(role):
        raise ValueError(f"{role!r} is not a plain role name (lower case letters, digits, _)")
    working = [t.name for t in Base.metadata.sorted_tables if t.name != AUDIT_TABLE]
    quoted = ", ".join(f'"{name}"' for name in working)
    return [
        f'GRANT USAGE ON SCHEMA public TO "{role}"',
        f'REVOKE ALL ON ALL TABLES IN SCHEMA public FROM "{role}"',
        f'GRANT SELECT, INSERT, UPDATE, DELETE ON {quoted} TO "{role}"',
        f'GRANT SELECT, INSERT ON "{AUDIT_TABLE}" TO "{role}"',
        f'GRANT SELECT ON "alembic_version" TO "{role}"',
        f'GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO "{role}"',
    ]


def grant_application_role(conn: Connection, role: str) -> None:
    for sql in grant_statements(role):
        conn.execute(text(sql))
