"""Shared fixtures: every database test runs on SQLite and on PostgreSQL, with a clean schema.

PostgreSQL is not optional: when it cannot be reached the PostgreSQL half of the suite fails
(set CASEWAY_TEST_POSTGRES_URL to point elsewhere).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from engine.clock import FakeClock
from engine.config import REPO_ROOT, Settings
from engine.services import Services
from engine.store.db import make_engine, transaction
from engine.store.migrate import upgrade
from engine.store.models import Base
from engine.users import add_user, issue_token
from handlers import default_registry

POSTGRES_URL = os.environ.get(
    "CASEWAY_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/caseway_test"
)
DEMO = {
    "dana": ("sudbury", ["designer"]),
    "ira": ("sudbury", ["intake_worker"]),
    "casey": ("sudbury", ["caseworker"]),
    "cole": ("sudbury", ["caseworker"]),
    "sam": ("sudbury", ["supervisor"]),
    "ada": ("sudbury", ["admin"]),
    "olive": ("ottawa", ["caseworker"]),
    "omar": ("ottawa", ["supervisor"]),
}


def _ensure_database(url: str) -> None:
    target = make_url(url)
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        exists = conn.scalar(
            text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": target.database}
        )
        if not exists:
            conn.execute(text(f'CREATE DATABASE "{target.database}"'))
    admin.dispose()


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """A migrated PostgreSQL database (fresh schema once per run, via Alembic)."""
    _ensure_database(POSTGRES_URL)
    engine = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    upgrade(POSTGRES_URL)
    return POSTGRES_URL


def _truncate_postgres(url: str) -> None:
    engine = create_engine(url)
    names = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'caseway.sqlite3'}"
        engine = make_engine(url)
        Base.metadata.create_all(engine)
        engine.dispose()
        yield url
    else:
        url = request.getfixturevalue("postgres_url")
        _truncate_postgres(url)
        yield url


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        database_url=database_url,
        forms_dir=REPO_ROOT / "forms",
        workflows_dir=REPO_ROOT / "workflows",
        secret_key="test-secret",
        scheduler_enabled=False,
        script_time_limit=1.0,
    )


@pytest.fixture
def registry():  # type: ignore[no-untyped-def]
    return default_registry()


@pytest.fixture
def svc(settings: Settings, clock: FakeClock, registry) -> Iterator[Services]:  # type: ignore[no-untyped-def]
    services = Services.build(settings, clock=clock, registry=registry)
    yield services
    services.engine.dispose()


def seed_staff(svc: Services, ttl: timedelta) -> dict[str, str]:
    """Create the demo staff from DESIGN.md and give each a bearer token valid for `ttl`."""
    tokens = {}
    with transaction(svc.sessions) as session:
        for username, (office, roles) in DEMO.items():
            add_user(session, username, office=office, roles=roles, now=svc.clock.now())
        for username in DEMO:
            tokens[username] = issue_token(session, username, now=svc.clock.now(), ttl=ttl)
    return tokens


@pytest.fixture
def staff(svc: Services) -> dict[str, str]:
    """The demo staff from DESIGN.md, each with a bearer token."""
    return seed_staff(svc, timedelta(days=30))


@pytest.fixture
def app(svc: Services):  # type: ignore[no-untyped-def]
    from engine.app import create_app

    application = create_app(services=svc)
    application.config["TESTING"] = True
    return application


class ApiClient:
    """A test client that speaks as one user at a time: `api.as_("casey").get(...)`."""

    def __init__(self, client, tokens: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
        self.client = client
        self.tokens = tokens

    def as_(self, username: str) -> _UserClient:
        return _UserClient(self.client, self.tokens[username])


class _UserClient:
    def __init__(self, client, token: str) -> None:  # type: ignore[no-untyped-def]
        self.client = client
        self.headers = {"Authorization": f"Bearer {token}"}

    def get(self, path: str, **kw):  # type: ignore[no-untyped-def]
        headers = {**self.headers, **kw.pop("headers", {})}
        return self.client.get(path, headers=headers, **kw)

    def post(self, path: str, json=None, **kw):  # type: ignore[no-untyped-def]
        headers = {**self.headers, **kw.pop("headers", {})}
        return self.client.post(path, json=json, headers=headers, **kw)


@pytest.fixture
def api(app, staff: dict[str, str]) -> ApiClient:  # type: ignore[no-untyped-def]
    return ApiClient(app.test_client(), staff)
