"""The commands the web UI added: `caseway users password`, `seed-demo`'s demo password, and
`caseway migrate`."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from engine.casework import commands
from engine.cli.main import DEMO_PASSWORD, main
from engine.config import REPO_ROOT, Settings
from engine.identity.users import Principal, verify_password
from engine.services import Services

BENEFIT = REPO_ROOT / "tests" / "fixtures" / "discretionary_benefit.bpmn"
Run = Callable[..., tuple[int, str, str]]


@pytest.fixture
def caseway(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> Run:
    monkeypatch.chdir(REPO_ROOT)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/c.db")

    def run(*args: str) -> tuple[int, str, str]:
        capsys.readouterr()
        code = main(list(args))
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    assert run("db", "upgrade")[0] == 0
    return run


@pytest.fixture
def svc(caseway: Run) -> Iterator[Services]:
    services = Services.build(Settings.from_env())
    yield services
    services.engine.dispose()


def test_seed_demo_sets_the_demo_password_once(caseway: Run, svc: Services) -> None:
    code, out, _ = caseway("seed-demo")

    assert code == 0
    assert DEMO_PASSWORD in out
    with svc.sessions() as session:
        assert verify_password(session, "casey", DEMO_PASSWORD) is not None
        assert verify_password(session, "casey", "wrong-password") is None


def test_users_password_reads_stdin_and_seed_demo_keeps_it(
    caseway: Run, svc: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    caseway("seed-demo")
    monkeypatch.setattr("sys.stdin", io.StringIO("a-new-long-password\n"))

    code, out, _ = caseway("users", "password", "sam")
    caseway("seed-demo")

    assert code == 0 and "password set for sam" in out
    with svc.sessions() as session:
        assert verify_password(session, "sam", "a-new-long-password") is not None
        assert verify_password(session, "sam", DEMO_PASSWORD) is None


def test_users_password_refuses_a_short_one(caseway: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    caseway("seed-demo")
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))

    code, _, err = caseway("users", "password", "sam")

    assert code == 2
    assert "at least 8 characters" in err


def test_migrate_is_a_dry_run_until_apply(caseway: Run, svc: Services, tmp_path: Path) -> None:
    caseway("seed-demo")
    caseway("deploy", str(BENEFIT))
    casey = Principal("casey", "sudbury", frozenset({"caseworker"}))
    request = commands.StartRequest("discretionary_benefit", "CASE-1", {})
    case = commands.start_instance(svc, casey, request)
    changed = tmp_path / "discretionary_benefit.bpmn"
    changed.write_bytes(BENEFIT.read_bytes().replace(b"Record the benefit", b"Record the"))
    caseway("deploy", str(changed))

    dry = caseway("migrate", "discretionary_benefit", "--from", "1", "--to", "2")
    applied = caseway("migrate", "discretionary_benefit", "--from", "1", "--to", "2", "--apply")
    again = caseway("migrate", "discretionary_benefit", "--from", "1", "--to", "2")

    assert dry[0] == 0 and f"would move {case}" in dry[1] and "dry run" in dry[1]
    assert applied[0] == 0 and f"moved      {case}" in applied[1]
    assert "0 would move, 0 blocked" in again[1]
