"""Pooled connections are not pinged on every checkout: a read that meets a connection the
database closed is run once more on a fresh one; a command is not rerun (503, Retry-After)."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text

# SQLite has no server to close a connection: these run on PostgreSQL only (never skipped).
ON_POSTGRES = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)


@pytest.fixture
def pg_only(database_url: str) -> str:
    return database_url


def _close_server_side(url: str) -> int:
    """What a database restart or a proxy's idle timeout does to every pooled connection."""
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        closed = conn.scalar(
            text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        )
    admin.dispose()
    return int(closed or 0)


@ON_POSTGRES
def test_a_read_on_a_dead_pooled_connection_is_answered(api, pg_only):
    assert api.as_("casey").get("/api/tasks").status_code == 200
    assert _close_server_side(pg_only) >= 1

    response = api.as_("casey").get("/api/tasks")

    assert response.status_code == 200
