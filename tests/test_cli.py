"""The `caseway` command line, run in-process as an operator would type it."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from engine.cli.main import main
from engine.clock import SystemClock
from engine.config import REPO_ROOT
from engine.identity.users import Principal, authenticate
from engine.store.db import make_engine, session_factory

SHIPPED = REPO_ROOT / "tests" / "fixtures" / "discretionary_benefit.bpmn"
DEMO_STAFF = {
    "dana": ("sudbury", "designer"),
    "ira": ("sudbury", "intake_worker"),
    "casey": ("sudbury", "caseworker"),
    "cole": ("sudbury", "caseworker"),
    "sam": ("sudbury", "supervisor"),
    "ada": ("sudbury", "admin"),
    "olive": ("ottawa", "caseworker"),
    "omar": ("ottawa", "supervisor"),
}


@dataclass
class Result:
    code: int
    out: str
    err: str


Caseway = Callable[..., Result]


@pytest.fixture
def caseway(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Caseway:
    """`caseway(*args)` runs the CLI from the repository root and returns what it printed."""
    monkeypatch.chdir(REPO_ROOT)
    monkeypatch.delenv("CASEWAY_DATABASE_URL", raising=False)
    monkeypatch.delenv("CASEWAY_FORMS_DIR", raising=False)

    def run(*args: str) -> Result:
        capsys.readouterr()
        code = main(list(args))
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return run


@pytest.fixture
def db_url(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path}/c.db"
    monkeypatch.setenv("DATABASE_URL", url)
    return url


@pytest.fixture
def upgraded(caseway: Caseway, db_url: str) -> str:
    assert caseway("db", "upgrade").code == 0
    return db_url


def who(url: str, token: str) -> Principal | None:
    engine = make_engine(url)
    try:
        with session_factory(engine)() as session:
            return authenticate(session, token, now=SystemClock().now())
    finally:
        engine.dispose()


def broken_diagram(folder: Path) -> Path:
    path = folder / "broken.bpmn"
    script = 'approval_required = amount &gt; standard("discretionary_approval_threshold")'
    assert script in SHIPPED.read_text()
    content = SHIPPED.read_text().replace(script, "import os\napproval_required = True")
    path.write_text(content)
    return path


# -- validate ------------------------------------------------------------------------------------


def test_validate_shipped_workflows_exits_zero(caseway: Caseway, db_url: str) -> None:
    result = caseway("validate", "workflows/")

    assert result.code == 0
    assert "ok  discretionary_benefit  (4 user tasks)" in result.out
    assert result.err == ""


def test_validate_needs_no_database(caseway: Caseway, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://nobody@127.0.0.1:1/nowhere")

    assert caseway("validate", "workflows/").code == 0


def test_validate_broken_diagram_names_file_and_element(
    caseway: Caseway, db_url: str, tmp_path: Path
) -> None:
    path = broken_diagram(tmp_path)

    result = caseway("validate", str(path))

    assert result.code == 1
    assert re.search(r"^broken\.bpmn \[assess_amount\]: script: .*[Ii]mport", result.err, re.M)
    assert "caseway: 1 problem(s); nothing deployed" in result.err
    assert result.out == ""


def test_validate_missing_path_exits_2(caseway: Caseway, db_url: str) -> None:
    result = caseway("validate", "workflows/", "no/such/diagram.bpmn")

    assert result.code == 2
    assert result.err.strip() == "caseway: no such file or folder: no/such/diagram.bpmn"


def test_validate_folder_without_diagrams_exits_2(
    caseway: Caseway, db_url: str, tmp_path: Path
) -> None:
    result = caseway("validate", str(tmp_path))

    assert result.code == 2
    assert "no .bpmn or .dmn files found" in result.err


# -- database and deploy ---------------------------------------------------------------------------


def test_db_upgrade_then_deploy_then_deploy_again(caseway: Caseway, db_url: str) -> None:
    upgrade = caseway("db", "upgrade")
    first = caseway("deploy", "workflows/")
    second = caseway("deploy", "workflows/")

    assert upgrade.code == 0
    assert first.code == 0 and second.code == 0
    assert "discretionary_benefit v1  new version\n" in first.out
    assert "intake v1  new version\n" in first.out
    assert "new version" not in second.out
    assert "discretionary_benefit v1  unchanged\n" in second.out


def test_db_upgrade_twice_is_harmless(caseway: Caseway, upgraded: str) -> None:
    assert caseway("db", "upgrade").code == 0


def test_deploying_a_changed_diagram_makes_a_new_version(
    caseway: Caseway, upgraded: str, tmp_path: Path
) -> None:
    path = tmp_path / "discretionary_benefit.bpmn"
    path.write_text(SHIPPED.read_text())
    caseway("deploy", str(path))
    path.write_text(SHIPPED.read_text().replace("Request received", "Request arrived"))

    result = caseway("deploy", str(path))

    assert result.out == "discretionary_benefit v2  new version\n"


def test_deploying_a_broken_diagram_deploys_nothing(
    caseway: Caseway, upgraded: str, tmp_path: Path
) -> None:
    broken = caseway("deploy", str(broken_diagram(tmp_path)))
    good = caseway("deploy", "workflows/")

    assert broken.code == 1
    assert "broken.bpmn [assess_amount]" in broken.err
    assert "discretionary_benefit v1  new version\n" in good.out


def test_deploy_before_db_upgrade_says_what_to_do(caseway: Caseway, db_url: str) -> None:
    result = caseway("deploy", "workflows/")

    assert result.code == 1
    assert "caseway db upgrade" in result.err
    assert "Traceback" not in result.err


# -- staff ----------------------------------------------------------------------------------------


def listed(caseway: Caseway) -> dict[str, tuple[str, str]]:
    rows = [line.split() for line in caseway("users", "list").out.splitlines()]
    return {name: (office, roles) for name, office, roles in rows}


def test_seed_demo_creates_the_design_staff_once(caseway: Caseway, upgraded: str) -> None:
    first = caseway("seed-demo")
    second = caseway("seed-demo")

    assert (first.code, second.code) == (0, 0)
    assert "demo staff ready (8 added)" in first.out
    assert "demo staff ready (0 added)" in second.out
    assert "demo partner directory ready (16 added)" in first.out
    assert "demo partner directory ready (0 added)" in second.out
    # the demo partner organization's API account (Sudbury's housing services)
    assert listed(caseway) == {**DEMO_STAFF, "housing_org": ("partners", "partner")}


def test_users_token_prints_a_token_that_authenticates(caseway: Caseway, upgraded: str) -> None:
    caseway("seed-demo")

    result = caseway("users", "token", "casey")

    token = result.out.strip()
    assert result.code == 0 and len(result.out.splitlines()) == 1
    principal = who(upgraded, token)
    assert principal is not None
    assert (principal.username, principal.office, principal.roles) == (
        "casey",
        "sudbury",
        frozenset({"caseworker"}),
    )


def test_users_revoke_makes_the_token_stop_working(caseway: Caseway, upgraded: str) -> None:
    caseway("seed-demo")
    token = caseway("users", "token", "casey").out.strip()
    other = caseway("users", "token", "cole").out.strip()

    result = caseway("users", "revoke", "casey")

    assert (result.code, result.out) == (0, "revoked 1 token(s)\n")
    assert who(upgraded, token) is None
    assert who(upgraded, other) is not None


def test_users_add_then_list(caseway: Caseway, upgraded: str) -> None:
    result = caseway(
        "users", "add", "nia", "--office", "timmins", "--role", "caseworker", "--role", "supervisor"
    )

    assert (result.code, result.out) == (0, "added nia\n")
    assert listed(caseway) == {"nia": ("timmins", "caseworker,supervisor")}


def test_users_add_with_unknown_role_exits_2(caseway: Caseway, upgraded: str) -> None:
    result = caseway("users", "add", "nia", "--office", "sudbury", "--role", "wizard")

    assert result.code == 2
    assert "unknown role(s): wizard" in result.err
    assert "caseworker" in result.err  # the roles that do exist
    assert listed(caseway) == {}


def test_users_add_twice_exits_2(caseway: Caseway, upgraded: str) -> None:
    caseway("users", "add", "nia", "--office", "sudbury", "--role", "caseworker")

    result = caseway("users", "add", "nia", "--office", "sudbury", "--role", "caseworker")

    assert result.code == 2
    assert "already exists" in result.err


def test_users_token_for_unknown_user_exits_2(caseway: Caseway, upgraded: str) -> None:
    result = caseway("users", "token", "nobody")

    assert (result.code, result.out) == (2, "")
    assert "no user 'nobody'" in result.err


def test_command_group_alone_prints_its_usage(caseway: Caseway, db_url: str) -> None:
    result = caseway("users")

    assert result.code == 2
    assert "usage: caseway users" in result.err


# -- PostgreSQL -----------------------------------------------------------------------------------


def test_postgres_upgrade_deploy_and_token(
    caseway: Caseway, postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The shared test database may already hold rows from other tests: use fresh names."""
    monkeypatch.setenv("DATABASE_URL", postgres_url)
    username = f"pg_{uuid.uuid4().hex[:10]}"

    upgrade = caseway("db", "upgrade")
    first = caseway("deploy", "workflows/")
    again = caseway("deploy", "workflows/")
    add = caseway("users", "add", username, "--office", "sudbury", "--role", "caseworker")
    token = caseway("users", "token", username).out.strip()

    assert (upgrade.code, first.code, again.code, add.code) == (0, 0, 0, 0)
    version = re.search(r"^discretionary_benefit (v\d+)  (new version|unchanged)$", first.out, re.M)
    assert version is not None
    assert f"discretionary_benefit {version.group(1)}  unchanged\n" in again.out
    assert "new version" not in again.out
    principal = who(postgres_url, token)
    assert principal is not None and principal.username == username


def test_closures_add_list_remove(caseway: Caseway, db_url: str) -> None:
    caseway("db", "upgrade")

    added = caseway("closures", "add", "sudbury", "2027-12-24", "--reason", "Christmas Eve")
    twice = caseway("closures", "add", "sudbury", "2027-12-24", "--reason", "again")
    listed = caseway("closures", "list", "sudbury")
    removed = caseway("closures", "remove", "sudbury", "2027-12-24")
    missing = caseway("closures", "remove", "sudbury", "2027-12-24")

    assert added.code == 0 and "closed on 2027-12-24" in added.out
    assert twice.code == 2 and "already closed" in twice.err
    assert listed.out.strip() == "2027-12-24  Christmas Eve"
    assert removed.code == 0
    assert missing.code == 2 and "no closure" in missing.err


def test_report_prints_a_table_and_json(caseway: Caseway, db_url: str) -> None:
    caseway("db", "upgrade")

    table = caseway("report", "--office", "sudbury")
    as_json = caseway("report", "--json", "--since", "2027-01-01T00:00:00+00:00")
    naive = caseway("report", "--since", "2027-01-01")

    assert table.code == 0
    assert "queue" in table.out and "escalated" in table.out and "office sudbury" in table.out
    assert "no standard" in table.out  # tasks without a deadline are not counted "on time"
    assert as_json.code == 0 and '"items": []' in as_json.out
    assert naive.code == 2 and "UTC offset" in naive.err


def test_whatif_prints_old_beside_new_and_refuses_bad_estimates(
    caseway: Caseway, upgraded: str
) -> None:
    whatif_dir = REPO_ROOT / "tests" / "supervision" / "whatif"
    caseway("deploy", str(whatif_dir / "check_in.bpmn"))
    shorter = str(whatif_dir / "check_in_shorter.bpmn")

    table = caseway("whatif", "check_in", shorter, "--weeks", "4")
    as_json = caseway("whatif", "check_in", shorter, "--json")
    bad = caseway("whatif", "check_in", shorter, "--estimate", "call_client=soon")
    unknown = caseway("whatif", "no_such_process", shorter)

    assert table.code == 0 and "what if check_in: 0 cases" in table.out and "assumes:" in table.out
    assert as_json.code == 0 and json.loads(as_json.out)["cases"] == 0
    assert bad.code != 0 and "TASK=HOURS" in bad.err and "soon" in bad.err
    assert unknown.code != 0 and "no_such_process" in unknown.err
