"""The audit trail is append-only in the database itself, not only by the application's habit:
triggers refuse UPDATE and DELETE on audit_event (SQLite and PostgreSQL) and TRUNCATE
(PostgreSQL; SQLite has no TRUNCATE). With the least-privilege roles of docs/deployment.md the
application role cannot drop or disable them either: it owns nothing."""

from __future__ import annotations

from sqlalchemy import DDL, Table, event

SQLITE = [
    """CREATE TRIGGER IF NOT EXISTS audit_event_no_update BEFORE UPDATE ON audit_event
       BEGIN SELECT RAISE(ABORT, 'audit_event is append-only'); END""",
    """CREATE TRIGGER IF NOT EXISTS audit_event_no_delete BEFORE DELETE ON audit_event
       BEGIN SELECT RAISE(ABORT, 'audit_event is append-only'); END""",
]
POSTGRES = [
    """CREATE OR REPLACE FUNCTION audit_event_append_only() RETURNS trigger AS $$
       BEGIN RAISE EXCEPTION 'audit_event is append-only'; END; $$ LANGUAGE plpgsql""",
    """DROP TRIGGER IF EXISTS audit_event_append_only ON audit_event""",
    """CREATE TRIGGER audit_event_append_only BEFORE UPDATE OR DELETE ON audit_event
       FOR EACH ROW EXECUTE FUNCTION audit_event_append_only()""",
    *(
        POSTGRES_NO_TRUNCATE := [
            """DROP TRIGGER IF EXISTS audit_event_no_truncate ON audit_event""",
            """CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON audit_event
           FOR EACH STATEMENT EXECUTE FUNCTION audit_event_append_only()""",
        ]
    ),
]


def statements(dialect: str) -> list[str]:
    return POSTGRES if dialect == "postgresql" else SQLITE if dialect == "sqlite" else []


def attach(table: Table) -> None:
    """Install the triggers whenever the table is created from the models (tests, create_all)."""
    for sql in SQLITE:
        event.listen(table, "after_create", DDL(sql).execute_if(dialect="sqlite"))
    for sql in POSTGRES:
        event.listen(table, "after_create", DDL(sql).execute_if(dialect="postgresql"))
