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
from engine.identity.users import add_user, issue_token
from engine.services import Services
from engine.store.db import make_engine, transaction
from engine.store.migrate import upgrade
from engine.store.models import Base
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


def _run_database_url(server_url: str) -> str:
    """This run's own database on the server: the configured name suffixed with the pid (and the
    xdist worker), so two runs on one machine never drop each other's schema."""
    target = make_url(server_url)
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    name = f"{target.database}_{os.getpid()}" + (f"_{worker}" if worker else "")
    return target.set(database=name).render_as_string(hide_password=False)


RUN_POSTGRES_URL = _run_database_url(POSTGRES_URL)


def _admin_engine(url: str):  # type: ignore[no-untyped-def]
    return create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")


def _drop_abandoned_run_databases(conn, prefix: str) -> None:  # type: ignore[no-untyped-def]
    """Databases of earlier runs whose process is gone (killed runs never dropped theirs)."""
    names = conn.scalars(
        text("SELECT datname FROM pg_database WHERE datname LIKE :p"), {"p": f"{prefix}_%"}
    ).all()
    for name in names:
        pid = name[len(prefix) + 1 :].split("_", 1)[0]
        if pid.isdigit() and int(pid) != os.getpid() and not Path(f"/proc/{pid}").exists():
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """This run's migrated PostgreSQL database (created and migrated once, dropped at the end)."""
    name = make_url(RUN_POSTGRES_URL).database
    admin = _admin_engine(RUN_POSTGRES_URL)
    with admin.connect() as conn:
        _drop_abandoned_run_databases(conn, make_url(POSTGRES_URL).database or "caseway_test")
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    upgrade(RUN_POSTGRES_URL)
    try:
        yield RUN_POSTGRES_URL
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _truncate_postgres(url: str) -> None:
    engine = create_engine(url)
    names = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with engine.begin() as conn:
        # Tests empty the audit trail between cases; the triggers that refuse it in production
        # are skipped for this one transaction (superuser only, as the test server's user is).
        conn.execute(text("SET LOCAL session_replication_role = replica"))
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
        # The suite's limit; CASEWAY_TEST_SCRIPT_TIME_LIMIT=2 runs it at the production value.
        script_time_limit=float(os.environ.get("CASEWAY_TEST_SCRIPT_TIME_LIMIT", "1.0")),
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

    def put(self, path: str, json=None, **kw):  # type: ignore[no-untyped-def]
        headers = {**self.headers, **kw.pop("headers", {})}
        return self.client.put(path, json=json, headers=headers, **kw)

    def patch(self, path: str, json=None, **kw):  # type: ignore[no-untyped-def]
        headers = {**self.headers, **kw.pop("headers", {})}
        return self.client.patch(path, json=json, headers=headers, **kw)


@pytest.fixture
def api(app, staff: dict[str, str]) -> ApiClient:  # type: ignore[no-untyped-def]
    return ApiClient(app.test_client(), staff)
