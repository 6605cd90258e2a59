"""Property-based fuzzing of the OpenAPI against a running server: whatever a client sends, the
answer is never a 500 and always matches the documented schema when it is a success."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance
from werkzeug.serving import make_server

from engine.app import create_app
from engine.casework.commands import deploy_files
from engine.config import REPO_ROOT, Settings
from engine.definitions.compile import read_paths
from engine.identity.users import Principal, add_user, issue_token
from engine.services import Services
from engine.store.db import make_engine, transaction
from engine.store.models import Base

pytestmark = pytest.mark.slow

DESIGNER = Principal("dana", "sudbury", frozenset({"designer"}))


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """A real HTTP server on loopback with the shipped workflows and one caseworker token."""
    path: Path = tmp_path_factory.mktemp("fuzz") / "fuzz.sqlite3"
    url = f"sqlite:///{path}"
    engine = make_engine(url)
    Base.metadata.create_all(engine)
    engine.dispose()
    svc = Services.build(Settings(database_url=url, scheduler_enabled=False))
    with transaction(svc.sessions) as session:
        add_user(session, "dana", office="sudbury", roles=["designer"], now=svc.clock.now())
        add_user(session, "sam", office="sudbury", roles=["supervisor"], now=svc.clock.now())
        token = issue_token(session, "sam", now=svc.clock.now(), ttl=timedelta(days=1))
    deploy_files(svc, DESIGNER, read_paths([REPO_ROOT / "workflows"]))
    httpd = make_server("127.0.0.1", 0, create_app(services=svc), threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}", token
    httpd.shutdown()
    thread.join(timeout=10)
    svc.engine.dispose()


def _openapi() -> dict:
    """The document the server publishes (building it touches no database)."""
    app = create_app(services=Services.build(Settings(database_url="sqlite://")))
    return app.test_client().get("/api/openapi.json").json  # type: ignore[no-any-return]


schema = schemathesis.openapi.from_dict(_openapi())


@schema.parametrize()
@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_no_input_makes_the_server_fail(case, server):  # type: ignore[no-untyped-def]
    base, token = server
    response = case.call(base_url=base, headers={"Authorization": f"Bearer {token}"})

    case.validate_response(response, checks=[not_a_server_error, response_schema_conformance])
