"""`caseway` command line: database, deploy/validate, users, demo data, serve, worker."""

from __future__ import annotations

import argparse
import getpass
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from engine.casework.commands import deploy_files
from engine.casework.unit_of_work import changing
from engine.cli import case_moves as cli_migration
from engine.cli import check as cli_check
from engine.cli import queues as cli_queues
from engine.cli import supervision as cli_supervision
from engine.cli import translations as cli_translations
from engine.cli import whatif as cli_whatif
from engine.config import Settings
from engine.deadlines.closures import ClosureExists, ClosureNotFound
from engine.definitions.compile import (
    CompileOptions,
    DefinitionInvalid,
    SourceFile,
    compile_bundle,
    read_paths,
    split_uploads,
)
from engine.definitions.forms import FormSource
from engine.errors import CasewayError
from engine.identity.users import (
    SYSTEM,
    Principal,
    UserProblem,
    add_user,
    has_password,
    issue_token,
    list_users,
    revoke_tokens,
    set_password,
)
from engine.identity.worker_tokens import issue_worker_token
from engine.policy import Role
from engine.services import Services
from handlers import default_registry

DEMO_STAFF = [
    ("dana", "Dana Designer", "sudbury", ["designer"]),
    ("ira", "Ira Intake", "sudbury", ["intake_worker"]),
    ("casey", "Casey Caseworker", "sudbury", ["caseworker"]),
    ("cole", "Cole Caseworker", "sudbury", ["caseworker"]),
    ("sam", "Sam Supervisor", "sudbury", ["supervisor"]),
    ("ada", "Ada Admin", "sudbury", ["admin"]),
    ("olive", "Olive Caseworker", "ottawa", ["caseworker"]),
    ("omar", "Omar Supervisor", "ottawa", ["supervisor"]),
]


DEMO_PASSWORD = "caseway-demo"  # demo data only; `caseway users password` changes it


class CliError(Exception):
    """Printed as `caseway: <message>` with exit status 2."""


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse already printed the usage error
        return int(exc.code or 0)
    if not hasattr(args, "run"):
        return _usage(parser)
    try:
        settings = Settings.from_env()
    except ValueError as exc:  # a malformed setting stops start-up, saying which and why
        print(f"caseway: configuration: {exc}", file=sys.stderr)
        return 2
    try:
        return int(args.run(settings, args) or 0)
    except (CliError, UserProblem, ClosureExists, ClosureNotFound) as exc:
        print(f"caseway: {exc}", file=sys.stderr)
        return 2
    except DefinitionInvalid as exc:
        for p in exc.problems:
            where = f"{p.file}" + (f" [{p.element_id}]" if p.element_id else "")
            print(f"{where}: {p.message}", file=sys.stderr)
        print(f"caseway: {len(exc.problems)} problem(s); nothing deployed", file=sys.stderr)
        return 1
    except CasewayError as exc:
        print(f"caseway: {exc}", file=sys.stderr)
        return 1
    except SQLAlchemyError as exc:
        reason = " ".join(str(getattr(exc, "orig", None) or exc).split())
        print(
            f"caseway: database error: {reason}\n"
            "caseway: check DATABASE_URL and run `caseway db upgrade` first",
            file=sys.stderr,
        )
        return 1


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="caseway", description=__doc__)
    sub = parser.add_subparsers(title="commands")

    db = _group(sub, "db", "database schema")
    db.add_parser("upgrade", help="apply Alembic migrations").set_defaults(run=_db_upgrade)
    grant = db.add_parser(
        "grant",
        help="PostgreSQL: give ROLE the application's rights (no ownership; audit insert-only)",
    )
    grant.add_argument("role", help="the role `caseway serve` and `caseway worker` connect as")
    grant.set_defaults(run=_db_grant)

    deploy = sub.add_parser("deploy", help="validate and deploy diagrams (files or folders)")
    deploy.add_argument("paths", nargs="+", type=Path)
    deploy.add_argument("--as", dest="actor", default="cli", help="recorded as the deployer")
    deploy.set_defaults(run=_deploy)

    validate = sub.add_parser("validate", help="validate diagrams without deploying")
    validate.add_argument("paths", nargs="+", type=Path)
    validate.set_defaults(run=_validate)

    users = _group(sub, "users", "staff accounts")
    add = users.add_parser("add", help="create a user")
    add.add_argument("username")
    add.add_argument("--office", required=True)
    add.add_argument("--role", dest="roles", action="append", required=True)
    add.add_argument("--name", dest="display_name")
    add.add_argument("--email", help="where staff notices go (else the in-app bell)")
    add.set_defaults(run=_users_add)
    users.add_parser("list", help="list users").set_defaults(run=_users_list)
    token = users.add_parser("token", help="print a fresh API token")
    token.add_argument("username")
    token.add_argument(
        "--topic",
        action="append",
        default=[],
        help="a worker token: an external-task topic it may fetch (repeat; * for every topic)",
    )
    token.set_defaults(run=_users_token)
    revoke = users.add_parser("revoke", help="revoke every token of a user")
    revoke.add_argument("username")
    revoke.set_defaults(run=_users_revoke)
    link = users.add_parser(
        "link", help="bind a sign-in provider identity (issuer + subject) to an existing user"
    )
    link.add_argument("username")
    link.add_argument("--issuer", required=True, help="the provider's issuer URL, as in `iss`")
    link.add_argument("--subject", required=True, help="the person's `sub` at that provider")
    link.set_defaults(run=_users_link)
    password = users.add_parser(
        "password", help="set a user's web password (asked twice; or one line on stdin)"
    )
    password.add_argument("username")
    password.set_defaults(run=_users_password)

    seed = sub.add_parser("seed-demo", help="create the demo staff (web password: see README)")
    seed.add_argument(
        "--password",
        default=DEMO_PASSWORD,
        help=f"web password for demo staff who have none yet (default: {DEMO_PASSWORD})",
    )
    seed.set_defaults(run=_seed_demo)

    serve = sub.add_parser("serve", help="serve the API and web UI (with the timer scheduler)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=5000)
    serve.add_argument("--no-scheduler", action="store_true")
    serve.set_defaults(run=_serve)

    worker = sub.add_parser("worker", help="run only the timer scheduler")
    worker.add_argument("--once", action="store_true", help="fire what is due now and exit")
    worker.set_defaults(run=_worker)

    views = cli_supervision.register(sub, _group, _services)
    cli_migration.register(sub, _services)
    cli_whatif.register(sub, _services)
    cli_check.register(sub, _services)
    cli_translations.register(sub, _group)
    cli_queues.register(views["queues"], _services)
    return parser


def _group(sub: Any, name: str, help_text: str) -> Any:
    """A command with subcommands; alone (`caseway users`) it prints its own help."""
    group = sub.add_parser(name, help=help_text)
    group.set_defaults(run=lambda _settings, _args: _usage(group))
    return group.add_subparsers(title=f"{name} commands")


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return 2


@contextmanager
def _services(settings: Settings) -> Iterator[Services]:
    svc = Services.build(settings)
    try:
        yield svc
    finally:
        svc.engine.dispose()


def _db_upgrade(settings: Settings, args: argparse.Namespace) -> int:
    from engine.store.migrate import upgrade

    if settings.database_url.startswith("sqlite:///"):
        Path(settings.database_url.removeprefix("sqlite:///")).parent.mkdir(
            parents=True, exist_ok=True
        )
    upgrade(settings.database_url)
    print("database is at the latest schema")
    return 0


def _db_grant(settings: Settings, args: argparse.Namespace) -> int:
    from sqlalchemy import create_engine

    from engine.store.roles import grant_application_role, grant_statements

    if not settings.database_url.startswith("postgresql"):
        raise CliError("roles are a PostgreSQL feature; DATABASE_URL is not PostgreSQL")
    try:
        grant_statements(args.role)
    except ValueError as exc:
        raise CliError(str(exc)) from exc
    engine = create_engine(settings.database_url)
    try:
        with engine.begin() as conn:
            grant_application_role(conn, args.role)
    finally:
        engine.dispose()
    print(f"{args.role} may now run Caseway; it owns nothing and only appends to the audit")
    return 0


def _diagram_files(paths: list[Path]) -> list[SourceFile]:
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        raise CliError(f"no such file or folder: {', '.join(missing)}")
    files = read_paths(paths)
    if not files:
        raise CliError("no .bpmn or .dmn files found")
    return files


def _validate(settings: Settings, args: argparse.Namespace) -> int:
    """Needs no database: only the diagrams, the forms folder and the handler registry."""
    files = _diagram_files(args.paths)
    diagrams, forms = split_uploads(files)
    options = CompileOptions(
        default_queue=settings.default_queue, manual_tasks=settings.manual_tasks
    )
    compiled = compile_bundle(
        diagrams, FormSource(settings.forms_dir, forms), default_registry(), options
    )
    for process in compiled:
        print(f"ok  {process.process_id}  ({len(process.user_tasks)} user tasks)")
        _print_warnings(process.warnings)
    cli_translations.warn_untranslated(settings, [(f.name, f.content) for f in files])
    if _notice_problems(settings, files):
        return 1
    print(f"ok  notices in {settings.notices_dir}")
    return 0


def _notice_problems(settings: Settings, files: list[SourceFile]) -> bool:
    """A missing translation or a broken template stops the deploy (docs/notices.md)."""
    from engine.delivery.checks import check_notices

    texts = [f.content.decode("utf-8", "replace") for f in files if f.name.endswith(".bpmn")]
    problems = check_notices(settings, texts)
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        print(f"caseway: {len(problems)} notice problem(s); nothing deployed", file=sys.stderr)
    return bool(problems)


def _deploy(settings: Settings, args: argparse.Namespace) -> int:
    files = _diagram_files(args.paths)
    if _notice_problems(settings, files):
        return 1
    principal = Principal(
        args.actor, SYSTEM.office, frozenset({Role.DESIGNER.value, Role.ADMIN.value})
    )
    with _services(settings) as svc:
        deployed = deploy_files(svc, principal, files)
    for d in deployed:
        state = "new version" if d.created else "unchanged"
        print(f"{d.process_id} v{d.version}  {state}")
        _print_warnings(d.warnings)
    for key in sorted({key for d in deployed for key in d.missing_queues}):
        print(f"create it with: caseway queues add {key} --role supervisor", file=sys.stderr)
    return 0


def _print_warnings(warnings: Sequence[Any]) -> None:
    for w in warnings:
        where = f"{w.file}" + (f" [{w.element_id}]" if w.element_id else "")
        print(f"warning: {where}: {w.message}", file=sys.stderr)


def _users_add(settings: Settings, args: argparse.Namespace) -> int:
    with _services(settings) as svc, changing(svc) as session:
        user = add_user(
            session,
            args.username,
            office=args.office,
            roles=args.roles,
            now=svc.clock.now(),
            display_name=args.display_name,
        )
        user.email = args.email or None
    print(f"added {args.username}")
    return 0


def _users_link(settings: Settings, args: argparse.Namespace) -> int:
    from sqlalchemy import select

    from engine.identity.provisioning import bind
    from engine.store.models import ExternalIdentity, User

    with _services(settings) as svc, changing(svc) as session:
        user = session.scalar(select(User).where(User.username == args.username))
        if user is None:
            raise CliError(f"no user {args.username!r}")
        taken = session.get(ExternalIdentity, (args.issuer, args.subject))
        if taken is not None:
            raise CliError("that identity is already linked to a user")
        bind(session, user, args.issuer, args.subject, now=svc.clock.now(), by="cli")
    print(f"{args.username} now signs in as {args.subject} at {args.issuer}")
    return 0


def _users_list(settings: Settings, args: argparse.Namespace) -> int:
    with _services(settings) as svc, svc.readers() as session:
        for user, roles in list_users(session):
            print(f"{user.username:12} {user.office:10} {','.join(roles)}")
    return 0


def _users_token(settings: Settings, args: argparse.Namespace) -> int:
    ttl = timedelta(days=settings.token_ttl_days)
    with _services(settings) as svc, changing(svc) as session:
        if args.topic:
            token = issue_worker_token(
                session, args.username, args.topic, now=svc.clock.now(), ttl=ttl
            )
        else:
            token = issue_token(session, args.username, now=svc.clock.now(), ttl=ttl)
    print(token)
    return 0


def _users_revoke(settings: Settings, args: argparse.Namespace) -> int:
    with _services(settings) as svc, changing(svc) as session:
        count = revoke_tokens(session, args.username, now=svc.clock.now())
    print(f"revoked {count} token(s)")
    return 0


def _users_password(settings: Settings, args: argparse.Namespace) -> int:
    password = _read_password()
    with _services(settings) as svc, changing(svc) as session:
        set_password(session, args.username, password)
    print(f"password set for {args.username}")
    return 0


def _read_password() -> str:
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("new password: ")
    if getpass.getpass("again: ") != first:
        raise CliError("the passwords differ; nothing changed")
    return first


def _seed_demo(settings: Settings, args: argparse.Namespace) -> int:
    created = 0
    with _services(settings) as svc, changing(svc) as session:
        existing = {user.username: user for user, _ in list_users(session)}
        for username, name, office, roles in DEMO_STAFF:
            if username not in existing:
                add_user(
                    session,
                    username,
                    office=office,
                    roles=roles,
                    now=svc.clock.now(),
                    display_name=name,
                )
                created += 1
            if not has_password(session, username):
                set_password(session, username, args.password)
    from engine.delivery.partners import seed_demo_partners
    from engine.delivery.secrets import SecretBox

    with _services(settings) as svc, changing(svc) as session:
        box = SecretBox.from_settings(settings)
        partners_added = seed_demo_partners(session, ("sudbury", "ottawa"), box, svc.clock.now())
    print(f"demo staff ready ({created} added): " + ", ".join(u for u, *_ in DEMO_STAFF))
    print(f"demo partner directory ready ({partners_added} added): sudbury, ottawa")
    print(f"web login: any of them with password {args.password!r} (only where none was set)")
    print("get an API token with:  caseway users token casey")
    return 0


def _serve(settings: Settings, args: argparse.Namespace) -> int:
    from werkzeug.serving import run_simple

    from engine.app import create_app
    from engine.casework.scheduler import start_scheduler
    from engine.observability.logs import configure_json_logging

    configure_json_logging()
    with _services(settings) as svc:
        app = create_app(services=svc)
        scheduler = None
        if settings.scheduler_enabled and not args.no_scheduler:
            scheduler = start_scheduler(svc)
        print(f"Caseway on http://{args.host}:{args.port}  (Ctrl+C stops)")
        try:
            run_simple(args.host, args.port, app, threaded=True, use_reloader=False)
        finally:
            if scheduler is not None:
                scheduler.shutdown(wait=False)
    return 0


def _worker(settings: Settings, args: argparse.Namespace) -> int:
    from engine.casework import timers
    from engine.casework.scheduler import start_scheduler
    from engine.observability.logs import configure_json_logging

    configure_json_logging()
    with _services(settings) as svc:
        if args.once:
            from engine.delivery.wiring import build_dispatcher

            print(f"fired timers of {timers.tick(svc)} instance(s)")
            dispatcher, dispatched = build_dispatcher(svc), 0
            while handled := dispatcher.run():  # until nothing is due (bounded passes each)
                dispatched += handled
            print(f"dispatched {dispatched} outbox message(s)")
            return 0
        scheduler = start_scheduler(svc)
        print("timer and outbox worker running (Ctrl+C stops)", flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            scheduler.shutdown()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
